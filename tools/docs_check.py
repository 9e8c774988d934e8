#!/usr/bin/env python3
"""Checks the built documentation site (build/docs/html) the way a reader would meet it.

Two kinds of problem, each reported with the page it is on:

  links  every local href and src names a file that exists, and every #anchor an id or name on
         that page; external links do not end in punctuation (a colon or full stop taken into
         the address by the markdown autolinker).
  leaks  markup that reached the reader as text: a literal <tt> (or <b>, <code>, <details>), Doxygen's internal ilinebr,
         ** or a backtick left over from bold or a code span that was not rendered, a \\| or \\--
         escape printed as is, and an en dash glued to a word where the source wrote an option such as
         --list (Doxygen turns "--" into an en dash outside code).

Code listings (source views and fenced blocks) are exempt from the leak scan: there, ** and `
are C++ and comments as written. Usage: docs_check.py [HTML_DIR]; exit 1 if anything is found.
Standard library only, so CI needs nothing beyond python3.
"""
import html
import html.parser
import os
import re
import sys
import urllib.parse
from collections import Counter, defaultdict

LEAKS = [
    ("literal <tt>", re.compile(r"</?tt>")),
    ("literal HTML tag", re.compile(r"</?(b|code|details|summary)( [^>]*)?>")),
    ("ilinebr", re.compile(r"ilinebr")),
    ("stray **", re.compile(r"\*\*")),
    ("stray backtick", re.compile(r"`")),
    ("printed \\|", re.compile(r"\\\|")),
    ("printed \\--", re.compile(r"\\--")),
    ("en dash for --", re.compile(r"(?<![\w\u2013])\u2013(?=[a-z])")),
]
# Listings: text inside these is code as written, not rendered prose.
CODE_CLASSES = {"fragment", "line", "memproto", "memname", "memItemLeft", "memItemRight",
                "memTemplItemLeft", "memTemplItemRight", "paramtype", "paramname"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.refs = []        # (attribute value, line)
        self.leaks = []       # (kind, snippet, line)
        self.stack = []       # (tag, is_code)
        self.code_depth = 0
        self.script = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        for key in ("href", "src"):
            if a.get(key) is not None:
                self.refs.append((a[key], self.getpos()[0]))
        if tag in VOID:
            return
        classes = set((a.get("class") or "").split())
        is_code = tag == "pre" or bool(classes & CODE_CLASSES)
        self.stack.append((tag, is_code))
        self.code_depth += is_code
        if tag in ("script", "style"):
            self.script += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        # Close up to the matching tag (HTML allows unclosed <p>, <li>, ...).
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                for t, code in self.stack[i:]:
                    self.code_depth -= code
                    if t in ("script", "style"):
                        self.script -= 1
                del self.stack[i:]
                return

    def handle_data(self, data):
        if self.code_depth or self.script:
            return
        self.leaks += scan(data, self.getpos()[0])


def scan(text, line):
    """One finding per kind of leak in a run of text."""
    found = []
    for kind, rx in LEAKS:
        m = rx.search(text)
        if m:
            snippet = text[max(0, m.start() - 30):m.end() + 30].replace("\n", " ").strip()
            found.append((kind, snippet, line))
    return found


# The sidebar is built from navtreedata.js: [ "title", "page.html#anchor", children ].
NAV_ENTRY = re.compile(r'\[\s*"((?:[^"\\]|\\.)*)",\s*"([^"]+)"')


def nav_entries(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    for m in NAV_ENTRY.finditer(text):
        yield m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/docs/html")
    if not os.path.isdir(root):
        print(f"docs_check: {root} does not exist (run make docs first)")
        return 2
    pages = {}
    navs = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f.endswith(".html"):
                path = os.path.join(dirpath, f)
                p = Page()
                with open(path, encoding="utf-8", errors="replace") as fh:
                    p.feed(fh.read())
                pages[path] = p
            elif f.startswith("navtree") and f.endswith(".js"):
                navs.append(os.path.join(dirpath, f))

    problems = defaultdict(list)   # category -> [message]
    for nav in navs:
        p = Page()
        for title, href, line in nav_entries(nav):
            p.refs.append((href, line))
            p.leaks += scan(html.unescape(title), line)
        pages[nav] = p
    for path, p in sorted(pages.items()):
        rel = os.path.relpath(path, root)
        for kind, snippet, line in p.leaks:
            problems["leak: " + kind].append(f"{rel}:{line}: ...{snippet}...")
        for ref, line in p.refs:
            ref = ref.strip()
            scheme = urllib.parse.urlsplit(ref).scheme
            if scheme in ("http", "https", "ftp"):
                if re.search(r"[:.,;]$", ref):
                    problems["link: external address ends in punctuation"].append(f"{rel}:{line}: {ref}")
                continue
            if scheme or not ref or ref.startswith("//"):
                continue          # mailto:, javascript:, data:, ...
            target, _, frag = ref.partition("#")
            target = urllib.parse.unquote(target)
            tpath = os.path.normpath(os.path.join(os.path.dirname(path), target)) if target else path
            if not os.path.exists(tpath):
                problems["link: missing file"].append(f"{rel}:{line}: {ref}")
                continue
            if frag and tpath.endswith(".html"):
                tp = pages.get(tpath)
                if tp is not None and urllib.parse.unquote(frag) not in tp.ids:
                    problems["link: missing anchor"].append(f"{rel}:{line}: {ref}")

    total = sum(len(v) for v in problems.values())
    for cat in sorted(problems):
        items = problems[cat]
        print(f"\n{cat}: {len(items)}")
        for msg in items[:15]:
            print("  " + msg)
        if len(items) > 15:
            print(f"  ... and {len(items) - 15} more")
    print(f"\ndocs_check: {len(pages) - len(navs)} pages and the sidebar, {total} problem(s)"
          + ("" if total else ": every local link resolves, no markup leaks"))
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
