#!/usr/bin/env python3
"""After Doxygen (make docs): makes the site's links follow the stage a page is about.

Every stage defines its own run(), Coroutine, Sleep, ... in its own namespace, and a page written in
markdown has no namespace, so Doxygen links a name on stage 02's page to whichever stage it met
first (stage 02's run() to stage 05's run.hpp). Using the tag file Doxygen writes (every documented
name, the page and anchor of each), this script:

- on each stage page (stageNN.html), links each name in a code span (`Coroutine::send()`) to that
  name in stage NN, and points every link into another stage at the same name in stage
  NN (Class::member, else the one member of that name in stage NN); a name stage NN does not have
  loses its link rather than lead a student into the wrong stage;
- draws the diagrams of docs/diagrams as scalable images, so a narrow page does not cut them off;
- on each file and source page of a stage, titles it with its path (02_sleep_loop/loop.hpp, not
  loop.hpp) and adds a line back to its stage's page and the course map.

Usage: docs_relink.py BUILD/docs (the directory holding html/ and looplab.tag).
"""
import html
import os
import re
import sys
import xml.etree.ElementTree as ET


def stage_of(name=None, path=None):
    m = re.match(r"stage(\d\d)::", name or "") or re.search(r"/stages/(\d\d)_", path or "")
    return m.group(1) if m else None


def main():
    docs = sys.argv[1]
    root = os.path.join(docs, "html")
    tag = ET.parse(os.path.join(docs, "looplab.tag")).getroot()

    where = {}          # href -> (stage, qualified name without the stage)
    names = {}          # stage -> {qualified name: href}
    last = {}           # stage -> {last component: {href, ...}}
    files = {}          # file page -> (stage, path below stages/)
    titles = {}         # page id -> title
    for c in tag.iter("compound"):
        kind, cname = c.get("kind"), c.findtext("name")
        if kind == "page":
            titles[cname] = c.findtext("title")
            continue
        if kind == "file":
            stage = stage_of(path=c.findtext("path"))
            scope = ""
            if stage:
                sub = c.findtext("path").split("/stages/", 1)[1]
                files[c.findtext("filename")] = (stage, sub + cname)
        elif kind in ("class", "struct"):
            stage = stage_of(name=cname)
            scope = cname.split("::", 1)[1] if stage else ""
        else:
            continue
        if not stage:
            continue
        entries = [(scope, c.findtext("filename"))] if scope else []
        for m in c.findall("member"):
            q = (scope + "::" if scope else "") + m.findtext("name")
            entries.append((q, f'{m.findtext("anchorfile")}#{m.findtext("anchor")}'))
        for q, href in entries:
            where[href] = (stage, q)
            names.setdefault(stage, {}).setdefault(q, href)
            last.setdefault(stage, {}).setdefault(q.split("::")[-1], set()).add(href)

    moved = dropped = added = 0
    for page in sorted(os.listdir(root)):
        m = re.fullmatch(r"stage(\d\d)\.html", page)
        if not m:
            continue
        nn = m.group(1)

        def fix(a):
            nonlocal moved, dropped
            href, text = html.unescape(a.group(1)), a.group(2)
            stage, q = where.get(href, (nn, None))
            if stage == nn:
                return a.group(0)
            target = names.get(nn, {}).get(q)
            same = last.get(nn, {}).get(q.split("::")[-1], set())
            if not target and len(same) == 1:
                target = next(iter(same))
            if target:
                moved += 1
                return f'<a class="el" href="{target}">{text}</a>'
            dropped += 1
            return text
        def link(c):
            nonlocal added
            q = re.sub(r"^(looplab::)?(stage\d\d::)?", "", c.group(1))
            target = names.get(nn, {}).get(q)
            same = last.get(nn, {}).get(q.split("::")[-1], set())
            if not target and len(same) == 1 and "::" not in q:
                target = next(iter(same))
            if not target:
                return c.group(0)
            added += 1
            return f'<code><a class="el" href="{target}">{c.group(1)}{c.group(2) or ""}</a></code>'
        path = os.path.join(root, page)
        text = open(path, encoding="utf-8").read()
        text = re.sub(r'<a class="el" href="([^"]+)"(?: title="[^"]*")?>(.*?)</a>', fix, text)
        text = re.sub(r"<code>([A-Za-z_][\w:]*)(\(\))?</code>", link, text)
        open(path, "w", encoding="utf-8").write(text)

    # A diagram of docs/diagrams (\dotfile) comes in an <iframe scrolling="no"> of the drawing's own
    # width, so a page narrower than the drawing cut it off. An <img> scales down to fit instead.
    for page in os.listdir(root):
        if page.endswith(".html") and 'src="dot_' in open(os.path.join(root, page), encoding="utf-8").read():
            path = os.path.join(root, page)
            text = re.sub(r'<iframe scrolling="no" frameborder="0" src="(dot_[^"]+\.svg)" width="(\d+)" '
                          r'height="\d+">.*?</iframe>',
                          r'<img class="diagram" src="\1" width="\2" alt="diagram"/>',
                          open(path, encoding="utf-8").read(), flags=re.S)
            open(path, "w", encoding="utf-8").write(text)

    for fpage, (stage, sub) in files.items():
        back = next((f'<a href="stage{stage}.html">{html.escape(titles[p])}</a>'
                     for p in titles if p == f"stage{stage}"), None)
        for page in (fpage, fpage.replace(".html", "_source.html")):
            path = os.path.join(root, page)
            if not os.path.isfile(path) or not back:
                continue
            text = open(path, encoding="utf-8").read()
            bar = f'<div class="stage-nav">Part of {back} &middot; <a href="index.html">course map</a></div>'

            text = re.sub(r'(<div class="title">)([^<]*?)(</div>)',
                          lambda t: t.group(1) + html.escape(sub) + t.group(2)[len(os.path.basename(sub)):]
                          + t.group(3), text, count=1)
            text = text.replace('<div class="contents">', '<div class="contents">\n' + bar, 1)
            open(path, "w", encoding="utf-8").write(text)
    print(f"docs_relink: on the stage pages, {added} name(s) linked to their stage's code, {moved} link(s) "
          f"moved to their own stage, {dropped} unlinked; "
          f"{len(files)} files titled with their stage")


if __name__ == "__main__":
    sys.exit(main())
