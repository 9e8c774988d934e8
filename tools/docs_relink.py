#!/usr/bin/env python3
print("relink: todo")
