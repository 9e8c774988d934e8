#!/usr/bin/env python3
"""Doxygen's input filter for looplab (docs/Doxyfile.in, FILTER_PATTERNS): prints FILE as Doxygen
should read it. The files themselves stay plain markdown that reads well anywhere.

1. Markup Doxygen 1.9 renders wrongly, rewritten to markup it renders right (in .md files, and in
   the /// comments of headers, where every line stays where it was so the source views and the
   warnings keep their line numbers):
   - a code span in a heading prints as <tt>...</tt>: the heading keeps the words, not the span;
   - **bold that starts with `code`** prints its asterisks: it becomes <b>...</b>;
   - "quotes around `code`" leave the code span unrendered: the quotes become curly;
   - an option such as --list outside a code span becomes an en dash: written \\--list;
   - in a table cell, a code span holding ' or \\| breaks the table: written <code>...</code>;
   - a bare address followed by ':' or '.' takes the punctuation into the link: written <...>.
2. Navigation built from the stage folders, so a new stage needs no edit here:
   - each stage page gets a bar (previous stage, course map, next stage) and the list of its files,
     each linked to its source view, then a table of contents; its `file.hpp`, `demos/x.cpp`,
     `detail::Name` and `Name::member()` (Name in namespace detail) link to the source, at the line;
   - at its end, its demos in the order the binary runs them: source, Python twin, and the output
     the golden transcript fixes (tests/golden/NN_demo.txt), shown on the page; then the Python
     twins, and their README as a subpage;
   - bench and conformance follow the last stage in the same bar;
   - the course map (docs/mainpage.md) gets its table of stages (@looplab_course_map), and its
     exercises and teaching pages (@looplab_more_pages) once exercises/ and docs/teaching/ exist.
   main.cpp and the demos get a file page (their opening comment), so their functions link somewhere.
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAGE_DIRS = sorted(d for d in glob.glob(os.path.join(ROOT, "stages", "[0-9][0-9]_*"))
                    if os.path.isfile(os.path.join(d, "README.md")))
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)     # a code span may run across a line break


# ---------------------------------------------------------------------------------------------
# 1. Markup

def pieces(text):
    """Splits text into (is_code, piece) around its code spans."""
    out, pos = [], 0
    for m in CODE_SPAN.finditer(text):
        out.append((False, text[pos:m.start()]))
        out.append((True, m.group(0)))
        pos = m.end()
    out.append((False, text[pos:]))
    return out


def html_code(span):
    """`x` as <code>x</code>, escaped for Doxygen (used where a code span cannot go)."""
    body = CODE_SPAN.fullmatch(span).group(2)
    body = body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = body.replace("\\|", "|").replace("|", "\\|").replace("--", "\\--")
    body = re.sub(r"\b([A-Za-z_]\w*)(?=\()", r"%\1", body)    # a message, not a link to run()
    return "<code>" + body + "</code>"


def fix_prose(text, table=False):
    """Fixes one line (or comment) of prose; code spans are kept as they are, or made HTML."""
    # **`code` ...** -> <b>`code` ...</b>
    text = re.sub(r"\*\*(?=\S)((?:(?!\*\*).)*?`(?:(?!\*\*).)*?)(?<=\S)\*\*", r"<b>\1</b>", text)
    parts = pieces(text)
    out = []
    for code, p in parts:
        if code:
            out.append(html_code(p) if table and ("'" in p or "\\|" in p) else p)
            continue
        p = re.sub(r"(?<![\w\\-])--(?=[A-Za-z])", r"\\--", p)
        p = re.sub(r"(?<![<\"'])(?<!\]\()\b(https?://[^\s<>()]*[^\s<>().,:;])([.,:;])(?=\s|$)", r"<\1>\2", p)
        out.append(p)
    return "".join(out)


def fix_quotes(text):
    """"..." around a code span -> curly quotes (text may be a whole paragraph)."""
    parts = pieces(text)
    quotes = [(i, m.start()) for i, (code, p) in enumerate(parts) if not code
              for m in re.finditer('"', p)]
    for (i1, c1), (i2, c2) in zip(quotes[0::2], quotes[1::2]):
        if any(parts[k][0] for k in range(i1, i2 + 1)):
            parts[i2] = (False, parts[i2][1][:c2] + "\u201d" + parts[i2][1][c2 + 1:])
            parts[i1] = (False, parts[i1][1][:c1] + "\u201c" + parts[i1][1][c1 + 1:])
    return "".join(p for _, p in parts)


def fix_heading(line):
    """A heading keeps its words; a code span in it would print as <tt>...</tt>."""
    m = re.match(r"(#+\s+)(.*?)(\s*\{#[\w-]+\})?\s*$", line)
    words = CODE_SPAN.sub(lambda c: c.group(2), m.group(2))
    words = re.sub(r"(?<![\w\\-])--(?=[A-Za-z])", r"\\--", words)
    return m.group(1) + words + (m.group(3) or "")


def fix_markdown(lines):
    """Fixes a markdown file a paragraph at a time (a code span may run across a line break);
    headings and table rows a line at a time; fenced blocks and Doxygen commands stay as written."""
    out, para, fence = [], [], None

    def flush():
        if para:
            out.extend(fix_prose(fix_quotes("\n".join(para))).split("\n"))
            para.clear()
    for line in lines:
        s = line.lstrip()
        if fence or s.startswith("```") or s.startswith("~~~"):
            flush()
            if fence and s.startswith(fence):
                fence = None
            elif not fence and (s.startswith("```") or s.startswith("~~~")):
                fence = s[:3]
            out.append(line)
        elif not s or re.match(r"#+\s", line) or s.startswith("|") or s.startswith("\\") or s.startswith("@"):
            flush()
            if re.match(r"#+\s", line):
                line = fix_heading(line)
            elif s.startswith("|"):
                line = fix_prose(fix_quotes(line), table=True)
            out.append(line)      # a blank line, or a Doxygen command line (\dotfile ...)
        else:
            para.append(line)
    flush()
    return out


def fix_header(lines):
    """Only the /// and //! comments of a header are documentation."""
    out, fence = [], False
    for line in lines:
        m = re.match(r'((?:[^"/]|/(?!/)|"(?:[^"\\]|\\.)*")*//[/!]<?)(.*)$', line)
        if m:
            text = m.group(2)
            if text.strip().startswith("```"):
                fence = not fence
            elif not fence:
                line = m.group(1) + fix_prose(fix_quotes(text), table=text.lstrip().startswith("|"))
        out.append(line)
    return out


# ---------------------------------------------------------------------------------------------
# 2. Navigation

def doxygen_file_base(path):
    """The name Doxygen gives a file's pages: its name if unique among the inputs, else its path
    below stages/ (or common/include/); '_' '/' '.' spelt '__' '_2' '_8'."""
    name = os.path.basename(path)
    same = [p for p in source_files() if os.path.basename(p) == name]
    if len(same) > 1:
        for base in ("stages", os.path.join("common", "include")):
            top = os.path.join(ROOT, base)
            if path.startswith(top + os.sep):
                name = os.path.relpath(path, top)
    return name.replace("_", "__").replace("/", "_2").replace(".", "_8")


_SOURCES = []


def source_files():
    if not _SOURCES:
        # The sources Doxygen reads (docs/Doxyfile.in's INPUT; the exercises give it their pages only).
        for pattern in ("common/include/**/*.hpp", "stages/**/*.hpp", "stages/**/*.cpp"):
            _SOURCES.extend(p for p in glob.glob(os.path.join(ROOT, pattern), recursive=True)
                            if "/python/" not in p)
    return _SOURCES


def source_link(path, text, line=None):
    anchor = f"#l{line:05d}" if line else ""
    return f'<a href="{doxygen_file_base(path)}_source.html{anchor}">{text}</a>'


def stage_id(d):
    return "stage" + os.path.basename(d)[:2]


def page_title(md):
    with open(md, encoding="utf-8") as f:
        first = f.readline()
    m = re.match(r"#\s+(.*?)\s*(\{#([\w-]+)\})?\s*$", first)
    return (m.group(1), m.group(3)) if m else (os.path.basename(md), None)


def demos_in_order(d):
    """The demos main.cpp registers, in the order the binary runs them, and the tour's demo."""
    if not os.path.isfile(os.path.join(d, "main.cpp")):
        return [], None
    with open(os.path.join(d, "main.cpp"), encoding="utf-8") as f:
        main = f.read()
    tour = re.search(r'set_tour\("([^"]+)"\)', main)
    found = []
    for m in re.finditer(r'app\.add\(\{"([^"]+)"', main):
        found.append(m.group(1))
    return found, tour.group(1) if tour else None


def twins(d):
    table = {}
    path = os.path.join(d, "python", "twins.txt")
    if os.path.isfile(path):
        for line in open(path, encoding="utf-8"):
            f = line.split()
            if f and not f[0].startswith("#"):
                table.setdefault(f[0], f[1])
    return table


def nav_bar(prev, nxt):
    left = f"&larr; @ref {prev}" if prev else ""
    right = f"@ref {nxt} &rarr;" if nxt else ""
    return " &middot; ".join(x for x in (left, "@ref index \"course map\"", right) if x)


def book():
    """The reading order: every stage, then bench, then conformance."""
    return [stage_id(d) for d in STAGE_DIRS] + ["bench", "conformance"]


def stage_extras(d):
    """The bar under the title, and the section at the end of a stage page."""
    sid = stage_id(d)
    order = book()
    i = order.index(sid)
    headers = sorted(glob.glob(os.path.join(d, "*.hpp")))
    files = " &middot; ".join(source_link(h, os.path.basename(h)) for h in headers)
    if os.path.isfile(os.path.join(d, "main.cpp")):
        files += " &middot; " + source_link(os.path.join(d, "main.cpp"), "main.cpp")
    files += f" &middot; @ref {sid}_demos \"demos and their output\""
    top = ['<div class="stage-nav">',
           nav_bar(order[i - 1] if i else None, order[i + 1]) + "<br>",
           f'<span class="stage-nav-files">Files of this stage: {files}</span>',
           "</div>", "", "[TOC]", ""]

    names, tour = demos_in_order(d)
    twin = twins(d)
    nn = os.path.basename(d)[:2]
    end = ["", f"## The demos and their output {{#{sid}_demos}}", "",
           f"`build/bin/{os.path.basename(d)[:2]}-{os.path.basename(d)[3:].replace('_', '-')}` runs "
           "these demos in this order. The output shown is the demo's golden transcript "
           f"(`tests/golden/{nn}_DEMO.txt`, checked by `make test`): what it prints under "
           "`--clock virtual --color never`.", ""]
    for name in names:
        src = os.path.join(d, "demos", name.replace("-", "_") + ".cpp")
        golden = os.path.join(ROOT, "tests", "golden", f"{nn}_{name}.txt")
        bits = [source_link(src, f"demos/{os.path.basename(src)}")] if os.path.isfile(src) else []
        if name in twin:
            bits.append(f"Python twin: @ref {sid}_twin_{twin[name][:-3]} \"python/{twin[name]}\"")
        end += [f"### {name}{' (the tour demo)' if name == tour else ''}", "", " &middot; ".join(bits), ""]
        if os.path.isfile(golden):
            end += [f'\\htmlonly[block]<details class="transcript"{" open" if name == tour else ""}>'
                    f"<summary>its output</summary>\\endhtmlonly",
                    f"\\verbinclude {nn}_{name}.txt",
                    "\\htmlonly[block]</details>\\endhtmlonly", ""]
        else:
            end += ["Not deterministic (it measures, or depends on the machine): run it to see.", ""]
    if twin:
        end += ["## The Python twins", "",
                "Each is an asyncio program that prints exactly what its C++ demo prints "
                "(`make test` compares them).", ""]
        if os.path.isfile(os.path.join(d, "python", "README.md")):
            end += [f"How they are written and run: @subpage {sid}_twins.", ""]
        for py in sorted(set(twin.values())):
            end += [f"### python/{py} {{#{sid}_twin_{py[:-3]}}}", "",
                    f"\\verbinclude {os.path.basename(d)}/python/{py}", ""]
    return top, end


def link_stage_files(lines, d):
    """`loop.hpp`, `demos/x.cpp`, `detail::Name` and `Name::member()` (Name in namespace detail) in a
    stage's README link to that stage's code, a class or member at its line."""
    # The engine's classes live in namespace detail, which has no pages: link them to their source.
    defs = {}       # class name -> (header, line, its lines)
    for h in sorted(glob.glob(os.path.join(d, "*.hpp"))):
        body = open(h, encoding="utf-8").read().split("\n")
        inside = False
        for n, line in enumerate(body, 1):
            if re.match(r"\s*namespace detail\s*\{", line):
                inside = True
            elif re.match(r"\}\s*//\s*namespace detail", line):
                inside = False
            m = inside and re.match(r"\s*(?:class|struct)\s+(\w+)\b[^;]*$", line)
            if m:
                defs.setdefault(m.group(1), (h, n, body))

    def member_line(cls, member):
        h, n, body = defs[cls]
        for k in range(n, len(body)):
            if re.search(r"\b" + re.escape(member) + r"\s*\(", body[k]) and not body[k].lstrip().startswith("//"):
                return k + 1
        return n

    def link(m):
        span = m.group(0)
        body = m.group(2)
        path = os.path.join(d, body)
        if re.fullmatch(r"[\w/]+\.(hpp|cpp)", body) and os.path.isfile(path):
            return source_link(path, span)
        dm = re.fullmatch(r"(?:detail::)?(\w+)(?:::(\w+)\(\))?", body)
        if dm and dm.group(1) in defs:
            cls, member = dm.groups()
            line = member_line(cls, member) if member else defs[cls][1]
            return source_link(defs[cls][0], span, line)
        return span

    out, fence = [], False
    for line in lines:
        if line.lstrip().startswith("```"):
            fence = not fence
        elif not fence and not line.startswith("#"):
            line = "".join(p if not code else CODE_SPAN.sub(link, p) for code, p in pieces(line))
        out.append(line)
    return out


def course_map():
    """The rows of the course map and the list of exercises and teaching pages."""
    rows = ["| stage | the one new idea | binary |", "|---|---|---|"]
    for d in STAGE_DIRS:
        text = open(os.path.join(d, "README.md"), encoding="utf-8").read()
        idea = re.search(r"\*\*The one new idea: (.*?)\*\*", text, re.S)
        idea = " ".join(idea.group(1).split()).rstrip(".") if idea else ""
        name = os.path.basename(d)
        rows.append(f"| @ref {stage_id(d)} | {idea} | `build/bin/{name[:2]}-{name[3:].replace('_', '-')}` |")
    return rows


def more_pages():
    """Exercises (exercises/NN_name/README.md) and teaching pages (docs/teaching/*.md), if any."""
    out = []
    for title, pattern in (("Exercises", "exercises/*/README.md"), ("Teaching pages", "docs/teaching/*.md")):
        found = sorted(glob.glob(os.path.join(ROOT, pattern)))
        # A page without {#id} is named by Doxygen after its path: md_exercises_01_name_README.
        refs = [f"- @ref {page_title(p)[1] or 'md_' + re.sub(r'[^A-Za-z0-9_]', '_', os.path.relpath(p, ROOT)[:-3])}"
                for p in found]
        if refs:
            out += [f"### {title}", ""] + refs + [""]
    return out or ["Exercises (a task for each stage, with hints, a starter, a check and a solution) and "
                   "teaching pages (lesson plans and handouts) are listed here as they are added."]


def main():
    path = os.path.abspath(sys.argv[1])
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if path.endswith(".cpp"):
        # main.cpp and the demos: the comment that opens the file becomes the file's description,
        # so each has a page (and the functions they define link somewhere).
        n = 0
        while n < len(lines) and lines[n].startswith("// "):
            lines[n] = "///" + lines[n][2:]
            n += 1
        if n:
            lines[n - 1] += " @file"
        lines = [("/** The stage binary: registers the demos, then runs what the command line asks "
                  "for. */ " + l) if l.startswith("int main(") else l for l in lines]
    if not path.endswith(".md"):
        print("\n".join(fix_header(lines)), end="")
        return
    d = os.path.dirname(path)
    if d in STAGE_DIRS and os.path.basename(path) == "README.md":
        top, end = stage_extras(d)
        lines = link_stage_files(lines, d)
        lines = lines[:1] + [""] + top + lines[1:] + end
    elif os.path.dirname(d) in STAGE_DIRS and path.endswith("/python/README.md") and "{#" not in lines[0]:
        sid = stage_id(os.path.dirname(d))
        lines[0] += f" {{#{sid}_twins}}"     # a subpage of the stage's page
        lines[1:1] = ["", f'<div class="stage-nav">Part of @ref {sid} &middot; @ref index "course map"</div>']
    elif path == os.path.join(ROOT, "docs", "mainpage.md"):
        expanded = []
        for line in lines:
            if line.strip() == "@looplab_course_map":
                expanded += course_map()
            elif line.strip() == "@looplab_more_pages":
                expanded += more_pages()
            else:
                expanded.append(line)
        lines = expanded
    lines = fix_markdown(lines)
    if path == os.path.join(ROOT, "bench", "README.md") or path == os.path.join(ROOT, "docs", "conformance.md"):
        order = book()
        pid = "bench" if "bench" in path else "conformance"
        i = order.index(pid)
        bar = ['<div class="stage-nav">', nav_bar(order[i - 1], order[i + 1] if i + 1 < len(order) else None), "</div>",
               "", "[TOC]", ""]
        lines = lines[:1] + [""] + bar + lines[1:]
    print("\n".join(lines), end="")


if __name__ == "__main__":
    main()
