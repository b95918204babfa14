/**
 * The codemod engine's decisions, function by function, as a mutation tool attacks them: every condition
 * both ways, every boundary, every regex against what it must and must not match. Part A: the resolver
 * (resolve.ts), the rules (find-tools.ts), pass-through wrappers (passthrough.ts), docstring entries
 * (docstring.ts), the AWS SDK look (aws-imports.ts) and the text helpers (source.ts). In-process and fast
 * (no emulator, no server, no child process): `npm run mutate -- codemod` runs it for these files.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { parsePython, type Node } from "../src/codemod/parse.js";
import { PackageIndex } from "../src/codemod/package-index.js";
import { keywordString, keywordValue, parameterNames, positionalArgs, Resolver, stringValue, type Resolution } from "../src/codemod/resolve.js";
import { callersOf, passThroughTarget, wrappedCallers } from "../src/codemod/passthrough.js";
import { DEFAULT_RULES, findTools, registrationPattern } from "../src/codemod/find-tools.js";
import { docstringOf, planDocstring } from "../src/codemod/docstring.js";
import { applyInserts } from "../src/codemod/apply.js";
import { PARAM_SPECS } from "../src/codemod/contract.js";
import type { ExtraParam } from "../src/codemod/profile.js";
import { firstAwsImport, importsAwsSdk } from "../src/codemod/aws-imports.js";
import { patchCommand, shellQuote } from "../src/codemod/shell.js";
import { runtimeImportModule } from "../src/codemod/contract.js";
import { alignTo, decodeSource, encodeSource, eolOf, indentAt, lineEnd, lineNumber, lineStart, nextLineStart, sha256 } from "../src/codemod/source.js";

// ---------------------------------------------------------------------------------------------- helpers

/** An in-memory package "pkg" of `files` (package-relative path -> text), each parsed once. */
function pkg(files: Record<string, string>): PackageIndex {
  const roots = new Map<string, Node>();
  return new PackageIndex(
    "pkg",
    Object.keys(files),
    (rel) => {
      let root = roots.get(rel);
      if (!root) {
        root = parsePython(files[rel] ?? "").rootNode;
        roots.set(rel, root);
      }
      return { rel, root };
    },
    (rel) => files[rel] ?? "",
  );
}

const nameOf = (func: Node): string => func.childForFieldName("name")?.text ?? "?";

/** A resolution as lines a test can compare whole: every value and problem, every flag and name. */
function show(r: Resolution): string[] {
  const named = (v: object): string => ("name" in v ? ` as ${String((v as { name?: string }).name)}` : "");
  return [
    ...r.values.map((v) => {
      switch (v.kind) {
        case "def":
          return `def ${v.file}:${nameOf(v.func)}${named(v)}`;
        case "module":
          return `module ${v.module}`;
        case "string":
          return `string ${v.value}${"module" in v ? ` of ${String(v.module)}` : ""}${named(v)}`;
        case "tool-fn":
          return `tool-fn ${v.text}`;
      }
    }),
    ...r.problems.map((p) => `problem ${p.reason}${p.wrapper ? " [wrapper]" : ""}${p.remote ? " [remote]" : ""}${"name" in p ? ` (name ${String(p.name)})` : ""}`),
  ];
}

/** The first argument of the n-th `REG(...)` call in `file`: a value to resolve where it stands. */
function argOfReg(index: PackageIndex, file: string, n = 0): Node {
  const { root } = index.source(file);
  let at = -1;
  for (let i = 0; i <= n; i++) at = root.text.indexOf("REG(", at + 1);
  assert.ok(at >= 0, `no REG( #${n} in ${file}`);
  let call: Node | null = root.descendantForIndex(root.startIndex + at);
  while (call && call.type !== "call") call = call.parent;
  const arg = call?.childForFieldName("arguments")?.namedChildren[0];
  assert.ok(arg, `REG( #${n} in ${file} has no argument`);
  return arg;
}

/** What `REG(x)` in `file` registers, through the resolver (pass-through wrappers seen through). */
function resolveReg(files: Record<string, string>, file = "server.py", n = 0): string[] {
  const index = pkg(files);
  return show(new Resolver(index).functions(argOfReg(index, file, n), file));
}

const lines = (...l: string[]): string => l.join("\n") + "\n";

// ----------------------------------------------------------------------------------------- source.ts

test("source: decoding, hashing and line arithmetic at every boundary", () => {
  assert.equal(decodeSource(new Uint8Array([0xef, 0xbb, 0xbf, 0x78])), "\uFEFFx", "a BOM is kept, not swallowed");
  assert.equal(decodeSource(new Uint8Array([0xc3, 0xa9])), "é");
  assert.equal(decodeSource(new Uint8Array([0xff, 0x41])), undefined, "not UTF-8: not ours to edit");
  assert.deepEqual([...encodeSource("\uFEFFé")], [0xef, 0xbb, 0xbf, 0xc3, 0xa9]);
  assert.equal(sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(sha256(new Uint8Array([0x61, 0x62, 0x63])), sha256("abc"));

  const eols: Array<[string, string]> = [["a\r\nb\n", "\r\n"], ["a\nb\r\n", "\n"], ["\r\nb", "\r\n"], ["\nb", "\n"], ["", "\n"], ["a\rb", "\n"]];
  for (const [text, eol] of eols) assert.equal(eolOf(text), eol, JSON.stringify(text));

  const t = "ab\ncd\r\nef";
  const starts: Array<[number, number]> = [[0, 0], [1, 0], [2, 0], [3, 3], [4, 3], [5, 3], [6, 3], [7, 7], [9, 7]];
  for (const [i, s] of starts) assert.equal(lineStart(t, i), s, `lineStart ${i}`);
  const ends: Array<[number, number]> = [[0, 2], [2, 2], [3, 5], [5, 5], [6, 5], [7, 9], [9, 9]];
  for (const [i, e] of ends) assert.equal(lineEnd(t, i), e, `lineEnd ${i}`);
  assert.equal(lineEnd("\nx", 0), 0);
  assert.equal(lineEnd("\r\nx", 0), 0);
  const next: Array<[number, number]> = [[0, 3], [2, 3], [3, 7], [6, 7], [7, 9], [9, 9]];
  for (const [i, n] of next) assert.equal(nextLineStart(t, i), n, `nextLineStart ${i}`);
  const numbers: Array<[number, number]> = [[0, 1], [2, 1], [3, 2], [6, 2], [7, 3], [9, 3]];
  for (const [i, n] of numbers) assert.equal(lineNumber(t, i), n, `lineNumber ${i}`);
  assert.equal(lineNumber("abc", 2), 1);
  // A file that starts with its first line break.
  assert.equal(nextLineStart("\nx", 0), 1);
  assert.equal(lineNumber("\nx", 1), 2);

  const code = "x = 1\n  \tdef f(a,\n";
  assert.equal(indentAt(code, 0), "");
  assert.equal(indentAt(code, code.indexOf("f(")), "  \t");
  assert.equal(indentAt(code, code.indexOf("def")), "  \t");
  assert.equal(indentAt("x\n", 2), "");
  // Hanging indentation: tabs kept where they are, every other character a space.
  assert.equal(alignTo(code, code.indexOf("a,")), "  \t      ");
  assert.equal(alignTo(code, code.indexOf("x")), "");
  assert.equal(alignTo("\tab\tc", 5), "\t  \t ");
});

// ------------------------------------------------------------------------------------ aws-imports.ts

test("importsAwsSdk: every import form of the four SDKs, and nothing that only looks like one", () => {
  const yes = [
    "import boto3",
    "import botocore.session",
    "import aioboto3",
    "from aiobotocore.session import get_session",
    "from botocore.config import Config",
    "  import boto3",
    "\tfrom boto3 import client",
    "from  boto3 import client",
    "import os, boto3",
    "import os,boto3",
    "import a.b , c, botocore",
    "x = 1\nimport boto3 as b3",
  ];
  const no = [
    "",
    "# import boto3",
    "importboto3",
    "import boto3x",
    "import boto3_stubs",
    "from boto3x import y",
    "from .boto3 import y",
    "from mypkg.boto3 import y",
    "x = 'import boto3'",
    "print(boto3)",
    "import os\nimport json",
  ];
  for (const t of yes) assert.equal(importsAwsSdk(t), true, t);
  for (const t of no) assert.equal(importsAwsSdk(t), false, t);
});

test("firstAwsImport: in name order, into folders but not hidden ones or __pycache__, only .py files, skip honoured", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "xa-aws-imports-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const put = (rel: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  assert.equal(firstAwsImport(dir), undefined, "an empty package");
  assert.equal(firstAwsImport(path.join(dir, "missing")), undefined, "a folder that is not there");
  put("z.py", "import boto3\n");
  put("y.py", "import json\n");
  assert.equal(firstAwsImport(dir), "z.py");
  // Not .py, a link to a .py (not a plain file), hidden and cache folders: none counts.
  put("a.txt", "import boto3\n");
  put(".hidden/a.py", "import boto3\n");
  put("__pycache__/a.py", "import boto3\n");
  put(".a.py/x.txt", "");
  symlinkSync(path.join(dir, "z.py"), path.join(dir, "b.py"));
  assert.equal(firstAwsImport(dir), "z.py");
  // A folder is searched, with its path in the answer; earlier names win.
  put("sub/deeper/c.py", "from botocore.config import Config\n");
  put("sub/a.py", "x = 1\n");
  assert.equal(firstAwsImport(dir), "sub/deeper/c.py");
  put("m.py", "import aioboto3\n");
  put("c.py", "import boto3\n");
  assert.equal(firstAwsImport(dir), "c.py");
  assert.equal(firstAwsImport(dir, (rel) => rel === "c.py"), "m.py");
  assert.equal(firstAwsImport(dir, (rel) => rel.endsWith(".py") && rel !== "z.py"), "z.py");
  assert.equal(firstAwsImport(dir, () => true), undefined);
});

// -------------------------------------------------------------------------------------- docstring.ts

const DOC = (p: ExtraParam): string => PARAM_SPECS[p].doc;

/** The first function of `src` with account_id (and region) entries added to its docstring, or null. */
function withDocEntries(src: string, params: ExtraParam[] = ["account_id"], eol = "\n"): string | null {
  const root = parsePython(src).rootNode;
  const func = root.descendantsOfType("function_definition")[0] as Node;
  const str = docstringOf(func);
  if (!str) return null;
  return applyInserts(src, planDocstring(src, str, params, eol));
}

test("docstringOf: a plain string first in the body, comments before it allowed, nothing else", () => {
  const cases: Array<[string, string | undefined]> = [
    ['def f():\n    """Doc."""\n    return 1\n', '"""Doc."""'],
    ['def f():\n    # why\n    "doc"\n', '"doc"'],
    ["def f():\n    x = 1\n    'late'\n", undefined],
    ['def f():\n    "a" "b"\n', undefined],
    ['def f():\n    "a", "b"\n', undefined],
    ['def f():\n    ("doc")\n', undefined],
    ["def f():\n    pass\n", undefined],
    ["def f():\n", undefined],
  ];
  for (const [src, doc] of cases) {
    const func = parsePython(src).rootNode.descendantsOfType("function_definition")[0] as Node;
    assert.equal(docstringOf(func)?.text, doc, src);
  }
});

test("docstring: which headers open a section", () => {
  const header = (h: string): string => `def f(a):\n    """Do.\n\n    ${h}\n        a: the a\n    """\n`;
  for (const h of ["Args:", "Arguments:", "Parameters:", "Params:", "Keyword Args:", "Keyword Arguments:", "# Args:", "###### Args:", "##Args:", "Args :", "Args:  \t"]) {
    assert.equal(withDocEntries(header(h)), header(h).replace("the a\n", `the a\n        account_id: ${DOC("account_id")}\n`), h);
  }
  for (const h of ["Args", "Args: a", "Arg:", "Returns:", "####### Args:", "x Args:", "args:"]) {
    assert.equal(withDocEntries(header(h)), header(h), h);
  }
});

test("docstring: Google-style sections, typed or not, across blank lines, up to the next section", () => {
  const cases: Array<{ why: string; src: string; out: string; params?: ExtraParam[] }> = [
    {
      why: "entries under the header until a line at its indentation; continuation lines belong to the entry",
      src: lines("def f(a):", '    """Do.', "", "    Args:", "        a: the a.", "            more.", "    Returns:", "        x", '    """'),
      out: lines("def f(a):", '    """Do.', "", "    Args:", "        a: the a.", "            more.", `        account_id: ${DOC("account_id")}`, "    Returns:", "        x", '    """'),
    },
    {
      why: "blank and white-space lines inside the section do not end it",
      src: lines("def f(a, b):", '    """Do.', "", "    Args:", "        a: the a.", "", "      \t", "        b: the b.", "", "    Returns:", "        x", '    """'),
      out: lines("def f(a, b):", '    """Do.', "", "    Args:", "        a: the a.", "", "      \t", "        b: the b.", `        account_id: ${DOC("account_id")}`, "", "    Returns:", "        x", '    """'),
    },
    {
      why: "blank lines between the header and the first entry",
      src: lines("def f(a):", '    """Args:', "", "        a: the a.", '    """'),
      out: lines("def f(a):", '    """Args:', "", "        a: the a.", `        account_id: ${DOC("account_id")}`, '    """'),
    },
    ...["arg (int): the a.", "arg (int) : the a.", "arg(int): the a.", "a (Optional[str]): the a."].map((entry) => ({
      why: `typed entries get a typed entry: ${entry}`,
      src: lines("def f(a):", '    """Args:', `        ${entry}`, '    """'),
      out: lines("def f(a):", '    """Args:', `        ${entry}`, `        account_id (str, optional): ${DOC("account_id")}`, '    """'),
    })),
    ...["a: calls f(x): y", "a: one - two", "a: see - Required: x"].map((entry) => ({
      why: `a plain entry whose text looks typed or bulleted further on: ${entry}`,
      src: lines("def f(a):", '    """Args:', `        ${entry}`, '    """'),
      out: lines("def f(a):", '    """Args:', `        ${entry}`, `        account_id: ${DOC("account_id")}`, '    """'),
    })),
    {
      why: "a white-space line right after the header is not the first entry",
      src: lines("def f(a):", '    """Do.', "    Args:", "  ", "        arg (int): the a.", '    """'),
      out: lines("def f(a):", '    """Do.', "    Args:", "  ", "        arg (int): the a.", `        account_id (str, optional): ${DOC("account_id")}`, '    """'),
    },
    {
      why: "a white-space line left of the header inside the section does not end it",
      src: lines("def f(a, b):", '    """Do.', "    Args:", "        a: the a.", "  ", "        b: the b.", "    Returns:", '    """'),
      out: lines("def f(a, b):", '    """Do.', "    Args:", "        a: the a.", "  ", "        b: the b.", `        account_id: ${DOC("account_id")}`, "    Returns:", '    """'),
    },
    {
      why: "a header indented deeper than the quotes ends at its own indentation",
      src: lines("def f(a):", '    """Do.', "        Args:", "            a: x.", "        Returns:", "            y", '    """'),
      out: lines("def f(a):", '    """Do.', "        Args:", "            a: x.", `            account_id: ${DOC("account_id")}`, "        Returns:", "            y", '    """'),
    },
    {
      why: "the docstring's last line, closing quotes and all, then a line break",
      src: lines("def f(a):", '    """Args:', '        a: x."""', "x = 1"),
      out: lines("def f(a):", '    """Args:', `        a: x.`, `        account_id: ${DOC("account_id")}"""`, "x = 1"),
    },
    {
      why: "documented on one line of several is documented",
      src: lines("def f(a):", '    """Args:', "        a: x.", "        account_id: mine.", "        b: y.", '    """'),
      out: lines("def f(a):", '    """Args:', "        a: x.", "        account_id: mine.", "        b: y.", `        region: ${DOC("region")}`, '    """'),
      params: ["account_id", "region"],
    },
    {
      why: "a parenthesis that is not a type, or a type not followed by a colon, is a plain entry",
      src: lines("def f(a):", '    """Args:', "        a: the (int) a.", '    """'),
      out: lines("def f(a):", '    """Args:', "        a: the (int) a.", `        account_id: ${DOC("account_id")}`, '    """'),
    },
    {
      why: "a typed entry with text glued after the type is not typed",
      src: lines("def f(a):", '    """Args:', "        a (int)x: the a.", '    """'),
      out: lines("def f(a):", '    """Args:', "        a (int)x: the a.", `        account_id: ${DOC("account_id")}`, '    """'),
    },
    {
      why: "both parameters, in order; only the missing one when the other is documented",
      src: lines("def f(a):", '    """Args:', "        a: the a.", '    """'),
      out: lines("def f(a):", '    """Args:', "        a: the a.", `        account_id: ${DOC("account_id")}`, `        region: ${DOC("region")}`, '    """'),
      params: ["account_id", "region"],
    },
    {
      why: "a parameter already documented is not documented twice",
      src: lines("def f(a):", '    """Args:', "        account_id: mine.", '    """'),
      out: lines("def f(a):", '    """Args:', "        account_id: mine.", `        region: ${DOC("region")}`, '    """'),
      params: ["account_id", "region"],
    },
    {
      why: "a longer word holding the name is not the parameter",
      src: lines("def f(a):", '    """Args:', "        my_account_id: x.", "        account_ids: y.", '    """'),
      out: lines("def f(a):", '    """Args:', "        my_account_id: x.", "        account_ids: y.", `        account_id: ${DOC("account_id")}`, '    """'),
    },
    {
      why: "a mention after the section does not count",
      src: lines("def f(a):", '    """Do.', "    Args:", "        a: x.", "    Note: account_id is added.", '    """'),
      out: lines("def f(a):", '    """Do.', "    Args:", "        a: x.", `        account_id: ${DOC("account_id")}`, "    Note: account_id is added.", '    """'),
    },
    {
      // A bug fixed with this test: the header's indentation was read as 0 on the opening line, so the
      // section ran to the end of the docstring and the entry landed under Returns.
      why: "a header on the docstring's opening line is indented as the quotes: the next section ends it",
      src: lines("def f(a):", '    """Args:', "        a: x.", "", "    Returns:", "        y", '    """'),
      out: lines("def f(a):", '    """Args:', "        a: x.", `        account_id: ${DOC("account_id")}`, "", "    Returns:", "        y", '    """'),
    },
    {
      why: "the same with a string prefix and a tab",
      src: lines("class C:", '	def f(a):', '		r"""Args:', "			a: x.", "		Returns:", '		"""'),
      out: lines("class C:", '	def f(a):', '		r"""Args:', "			a: x.", `			account_id: ${DOC("account_id")}`, "		Returns:", '		"""'),
    },
    {
      why: "raw docstrings are docstrings",
      src: lines("def f(a):", '    r"""Args:', "        a: x.", '    """'),
      out: lines("def f(a):", '    r"""Args:', "        a: x.", `        account_id: ${DOC("account_id")}`, '    """'),
    },
    {
      why: "tabs are indentation",
      src: lines("def f(a):", '\t"""Args:', "\t\ta: x.", '\t"""'),
      out: lines("def f(a):", '\t"""Args:', "\t\ta: x.", `\t\taccount_id: ${DOC("account_id")}`, '\t"""'),
    },
  ];
  for (const c of cases) assert.equal(withDocEntries(c.src, c.params), c.out, c.why);
});

test("docstring: bulleted sections at the header's indentation, in their own bullet and wording", () => {
  const cases: Array<{ why: string; src: string; out: string }> = [
    {
      why: "Required/Optional bullets get an Optional bullet, the doc's final period dropped",
      src: lines("def f(a):", '    """Do.', "", "    ## Parameters:", "    - Required: a (int)", "    - Optional: b (str)", "", "    ## Returns:", '    """'),
      out: lines(
        "def f(a):",
        '    """Do.',
        "",
        "    ## Parameters:",
        "    - Required: a (int)",
        "    - Optional: b (str)",
        `    - Optional: account_id (${DOC("account_id").replace(/\.$/, "")})`,
        "",
        "    ## Returns:",
        '    """',
      ),
    },
    {
      why: "any case, any spacing, a star bullet",
      src: lines("def f(a):", '    """Args:', "    *   required : a", '    """'),
      out: lines("def f(a):", '    """Args:', "    *   required : a", `    * Optional: account_id (${DOC("account_id").replace(/\.$/, "")})`, '    """'),
    },
    {
      why: "plain bullets get a plain bullet, the doc whole",
      src: lines("def f(a):", '    """Args:', "    - a: the a", "    - b: the b", '    """'),
      out: lines("def f(a):", '    """Args:', "    - a: the a", "    - b: the b", `    - account_id: ${DOC("account_id")}`, '    """'),
    },
    {
      why: "a bullet that says Required later in its text is a plain bullet",
      src: lines("def f(a):", '    """Args:', "    - a: Required: yes", '    """'),
      out: lines("def f(a):", '    """Args:', "    - a: Required: yes", `    - account_id: ${DOC("account_id")}`, '    """'),
    },
    {
      why: "a line at the header's indentation that is not a bullet ends the list",
      src: lines("def f(a):", '    """Args:', "    - a: the a", "    Returns: x", '    """'),
      out: lines("def f(a):", '    """Args:', "    - a: the a", `    - account_id: ${DOC("account_id")}`, "    Returns: x", '    """'),
    },
    {
      why: "a line left of the header ends the list; one right of it continues the bullet",
      src: lines("def f(a):", '    """', "    Args:", "    - a: the a", "      more a", "    - b: the b", "  x", '    """'),
      out: lines("def f(a):", '    """', "    Args:", "    - a: the a", "      more a", "    - b: the b", `    - account_id: ${DOC("account_id")}`, "  x", '    """'),
    },
    {
      why: "a line at the header's indentation holding a dash later is not a bullet",
      src: lines("def f(a):", '    """Args:', "    - a: the a", "    Returns - the sum", '    """'),
      out: lines("def f(a):", '    """Args:', "    - a: the a", `    - account_id: ${DOC("account_id")}`, "    Returns - the sum", '    """'),
    },
    {
      why: "a bullet that names Required only later is plain",
      src: lines("def f(a):", '    """Args:', "    - a: see - Required: x", '    """'),
      out: lines("def f(a):", '    """Args:', "    - a: see - Required: x", `    - account_id: ${DOC("account_id")}`, '    """'),
    },
    {
      why: "a blank line ends the list, even one of white space",
      src: lines("def f(a):", '    """Args:', "    - a: the a", "        ", "    - b: the b", '    """'),
      out: lines("def f(a):", '    """Args:', "    - a: the a", `    - account_id: ${DOC("account_id")}`, "        ", "    - b: the b", '    """'),
    },
  ];
  for (const c of cases) assert.equal(withDocEntries(c.src), c.out, c.why);
});

test("docstring: what is left alone", () => {
  const untouched = [
    ["no section", lines("def f(a):", '    """Do a."""')],
    ["a header with no entry", lines("def f(a):", '    """Do.', "", "    Args:", "", '    """')],
    ["entries not indented and not bulleted", lines("def f(a):", '    """Args:', "    a: the a", '    """')],
    ["entries left of the header", lines("def f(a):", '    """', "        Args:", "    - a: the a", '    """')],
    ["a blank line right after the header of a bulleted list", lines("def f(a):", '    """Args:', "", "    - a: the a", '    """')],
    ["bytes", lines("def f(a):", '    b"""Args:', "        a: x.", '    """')],
    ["f-string", lines("def f(a):", '    f"""Args:', "        a: x.", '    """')],
    ["upper-case prefix", lines("def f(a):", '    Rb"""Args:', "        a: x.", '    """')],
    ["everything documented", lines("def f(a):", '    """Args:', "        account_id: x.", '    """')],
  ];
  for (const [why, src] of untouched) {
    assert.equal(withDocEntries(src as string), src, why);
    // Not even an empty insert: nothing to add is no edit at all.
    const func = parsePython(src as string).rootNode.descendantsOfType("function_definition")[0] as Node;
    const str = docstringOf(func);
    if (str) assert.deepEqual(planDocstring(src as string, str, ["account_id"], "\n"), [], why);
  }
  assert.equal(withDocEntries(lines("def f(a):", '    """Args:', "        a: x.", '    """'), []), lines("def f(a):", '    """Args:', "        a: x.", '    """'), "no params");
});

test("docstring: CRLF lines keep their \\r, the last line of a file without a newline is read", () => {
  const crlf = ["def f(a):", '    """Args:', "        a: x.", "    Returns:", '    """', ""].join("\r\n");
  assert.equal(
    withDocEntries(crlf, ["account_id"], "\r\n"),
    ["def f(a):", '    """Args:', "        a: x.", `        account_id: ${DOC("account_id")}`, "    Returns:", '    """', ""].join("\r\n"),
  );
  // The docstring closes on the file's last line, with no line break after it.
  const noFinalNewline = 'def f(a):\n    """Args:\n        a: x."""';
  assert.equal(withDocEntries(noFinalNewline), `def f(a):\n    """Args:\n        a: x.\n        account_id: ${DOC("account_id")}"""`);
  const lastLineBlank = 'def f(a):\n    """Args:\n        a: x.\n    """';
  assert.equal(withDocEntries(lastLineBlank), `def f(a):\n    """Args:\n        a: x.\n        account_id: ${DOC("account_id")}\n    """`);
});

// ------------------------------------------------------------------------------------ passthrough.ts

test("passThroughTarget: a def of only *args/**kwargs decorated with wraps(x) wraps x; nothing else does", () => {
  const cases: Array<[string, string | undefined]> = [
    ["@functools.wraps(f)\ndef w(*args, **kwargs): pass\n", "f"],
    ["@wraps(f)\ndef w(*args, **kwargs): pass\n", "f"],
    ["@wraps(f)\ndef w(*args): pass\n", "f"],
    ["@wraps(f)\ndef w(**kwargs): pass\n", "f"],
    ["@wraps(f)\ndef w(*args: Any, **kwargs: Any): pass\n", "f"],
    ["@wraps(f)\ndef w(*args,  # all of them\n      **kwargs): pass\n", "f"],
    ["@log\n@a.b.wraps(g, assigned=())\ndef w(*a, **k): pass\n", "g"],
    ["@log()\n@wraps(g)\ndef w(*a, **k): pass\n", "g"],
    ["@wraps(self.f)\ndef w(*a, **k): pass\n", "self.f"],
    ["@wraps(f)\ndef w(*args, x, **kwargs): pass\n", undefined],
    ["@wraps(f)\ndef w(x, *args): pass\n", undefined],
    ["@wraps(f)\ndef w(*, x): pass\n", undefined],
    ["@wraps(f)\ndef w(): pass\n", undefined],
    ["@wraps(f)\ndef w(x: int): pass\n", undefined],
    ["@wraps(f)\ndef w(x=1, **kw): pass\n", undefined],
    // Python 2's tuple parameter (tree-sitter still reads it): a splat inside it is not *args.
    ["@wraps(f)\ndef w((*a,), **kw): pass\n", undefined],
    ["def w(*args, **kwargs): pass\n", undefined],
    ["@functools.wraps\ndef w(*a, **k): pass\n", undefined],
    ["@mywraps(f)\ndef w(*a, **k): pass\n", undefined],
    ["@wraps.x(f)\ndef w(*a, **k): pass\n", undefined],
    ["@wraps()\ndef w(*a, **k): pass\n", undefined],
    ["@wraps(wrapped=f)\ndef w(*a, **k): pass\n", undefined],
    ["@wraps(*fs)\ndef w(*a, **k): pass\n", undefined],
  ];
  for (const [src, wrapped] of cases) {
    const func = parsePython(src).rootNode.descendantsOfType("function_definition")[0] as Node;
    const t = passThroughTarget(func);
    assert.equal(t?.wrapped.text, wrapped, src);
    if (t) assert.equal(t.wrapper, func);
  }
});

const FACTORY_MODULE = lines(
  "import functools",
  "",
  "def deco(func):",
  "    @functools.wraps(func)",
  "    def wrapper(*args, **kwargs):",
  "        return func(*args, **kwargs)",
  "    return wrapper",
);

const CURRIED_MODULE = lines(
  "import functools",
  "",
  "def make(name):",
  "    def deco(func):",
  "        @functools.wraps(func)",
  "        def wrapper(*args, **kwargs):",
  "            return func(*args, **kwargs)",
  "        return wrapper",
  "    return deco",
);

/** The places the package hands functions to the wrapper def `wrapper` of m.py, or the refusal. */
function wrapped(files: Record<string, string>, wrapperName = "wrapper"): string[] | string {
  const index = pkg(files);
  const func = index
    .source("m.py")
    .root.descendantsOfType("function_definition")
    .find((f) => nameOf(f) === wrapperName) as Node;
  const target = passThroughTarget(func);
  assert.ok(target, `${wrapperName} is a pass-through wrapper`);
  const r = wrappedCallers(index, "m.py", target);
  if ("refuse" in r) return r.refuse;
  return r.sites.map(
    (s) => `${s.file} ${s.def ? `def ${nameOf(s.def)}` : `arg ${s.arg?.text}`}${s.name !== undefined ? ` named ${s.name}` : ""} [${Object.keys(s).join(",")}]`,
  );
}

test("wrappedCallers: every call and decoration of a module-level wrapper factory, in any module of the package", () => {
  const server = lines(
    "from .m import deco",
    "import pkg.m",
    "",
    "def f(): pass",
    "",
    "one = deco(f)",
    "",
    "@deco",
    "def g(): pass",
    "",
    "other(deco=1)  # a keyword named like it",
    "print('deco')  # deco in a comment",
  );
  assert.deepEqual(wrapped({ "m.py": FACTORY_MODULE + "deco(local)\n", "server.py": server }), [
    "m.py arg local [file,arg]",
    "server.py arg f [file,arg]",
    "server.py def g [file,def]",
  ]);
  // A module with its own deco, or none bound at module level: another function.
  // own.py's deco stands where m.py's does: only the file tells them apart.
  const own = lines("import functools", "", "def deco(x): return x", "deco(k)");
  const local = lines("def h():", "    deco = 1", "    return deco");
  assert.deepEqual(wrapped({ "m.py": FACTORY_MODULE, "own.py": own, "local.py": local, "server.py": lines("from .m import deco", "deco(f)") }), ["server.py arg f [file,arg]"]);
  // The function's place among the factory's parameters, and the tool name the call gives.
  const named = FACTORY_MODULE.replace("def deco(func):", "def deco(title, func, extra=None):");
  assert.deepEqual(wrapped({ "m.py": named + lines("deco('t1', f1)", "deco(name='t2', func=None, title=f9)", "deco(x, f3, 'later')", "deco(t, f4, name='kw')") }), "m.py:9: deco(name='t2', func=None, title=f9) passes no function");
  assert.deepEqual(wrapped({ "m.py": named + lines("deco('t1', f1)", "deco(x, f3, 'later')", "deco(t, f4, name='kw')", "deco(t, f5, name=n)") }), [
    "m.py arg f1 named t1 [file,arg,name]",
    "m.py arg f3 named later [file,arg,name]",
    "m.py arg f4 named kw [file,arg,name]",
    "m.py arg f5 [file,arg]",
  ]);
  // Imported under its own name: the alias is not a use.
  assert.deepEqual(wrapped({ "m.py": FACTORY_MODULE, "server.py": lines("from .m import deco as deco", "deco(f)") }), ["server.py arg f [file,arg]"]);
});

test("wrappedCallers: every use of the factory it cannot follow is a refusal naming the place", () => {
  const refusals: Array<[string, string]> = [
    ["alias = deco", "server.py:2: alias = deco uses the wrapper factory in a way xaccount cannot follow"],
    ["register(deco)", "server.py:2: (deco) uses the wrapper factory in a way xaccount cannot follow"],
    ["register(factory=deco)", "server.py:2: factory=deco uses the wrapper factory in a way xaccount cannot follow"],
    ["deco()", "server.py:2: deco() passes no function"],
    ["@deco(x)\ndef g(): pass", "server.py:2: deco(x) used as a decorator factory"],
    ["@deco\nclass C: pass", "server.py:2: decorates something other than a function"],
  ];
  for (const [use, refusal] of refusals) {
    assert.equal(wrapped({ "m.py": FACTORY_MODULE, "server.py": `from .m import deco\n${use}\ndeco(f)\n` }), refusal, use);
  }
  assert.equal(wrapped({ "m.py": FACTORY_MODULE }), "no call of deco that hands it a function was found in the package");
  // A later def of the same name in the same module: its calls are not the factory's.
  assert.equal(wrapped({ "m.py": FACTORY_MODULE + lines("def deco(x): return x", "deco(f)") }), "no call of deco that hands it a function was found in the package");
  // What the wrapper wraps must be a parameter of a factory the package calls.
  const cases: Array<[string, string]> = [
    [lines("import functools", "@functools.wraps(f)", "def wrapper(*a, **k): pass"), "f is neither a function of this package nor a parameter of the factory"],
    [lines("import functools", "def deco(func):", "    @functools.wraps(func.inner)", "    def wrapper(*a, **k): pass", "    return wrapper"), "it wraps func.inner, which xaccount cannot trace"],
    [lines("def deco(other):", "    @wraps(func)", "    def wrapper(*a, **k): pass", "    return wrapper"), "func is neither a function of this package nor a parameter of the factory"],
    [
      lines("class K:", "    def deco(self, func):", "        @wraps(func)", "        def wrapper(*a, **k): pass", "        return wrapper"),
      "deco, which receives it, is not a module-level function (or one returned by one), so its callers cannot be traced",
    ],
    [
      lines("def make():", "    def deco(func):", "        @wraps(func)", "        def wrapper(*a, **k): pass", "        return wrapper", "    return 1"),
      "deco, which receives it, is not a module-level function (or one returned by one), so its callers cannot be traced",
    ],
    [
      lines("def make():", "    def deco(func):", "        @wraps(func)", "        def wrapper(*a, **k): pass", "        return wrapper", "    other = 1", "    return other"),
      "deco, which receives it, is not a module-level function (or one returned by one), so its callers cannot be traced",
    ],
    [
      lines("def top():", "    def make():", "        def deco(func):", "            @wraps(func)", "            def wrapper(*a, **k): pass", "            return wrapper", "        return deco", "    return make"),
      "deco, which receives it, is not a module-level function (or one returned by one), so its callers cannot be traced",
    ],
  ];
  for (const [m, refusal] of cases) assert.equal(wrapped({ "m.py": m }), refusal, m);
});

test("wrappedCallers: a factory returned by a module-level function, called then applied", () => {
  const server = lines(
    "from .m import make",
    "",
    "@make('n1')",
    "def g(): pass",
    "",
    "one = make(name='n2')(f)",
    "two = make(x)(h)",
    "@make(k)",
    "async def a(): pass",
  );
  assert.deepEqual(wrapped({ "m.py": CURRIED_MODULE, "server.py": server }), [
    "server.py def g named n1 [file,def,name]",
    "server.py arg f named n2 [file,arg,name]",
    "server.py arg h [file,arg]",
    "server.py def a [file,def]",
  ]);
  const refusals: Array<[string, string]> = [
    ["d = make('n')", "server.py:2: make('n') keeps the wrapper factory's result in a value xaccount cannot follow"],
    ["register(make('n'))", "server.py:2: make('n') keeps the wrapper factory's result in a value xaccount cannot follow"],
    ["make('n')()", "server.py:2: make('n')() passes no function"],
    ["@make\ndef g(): pass", "server.py:2: @make uses the wrapper factory in a way xaccount cannot follow"],
    ["@make('n')\nclass C: pass", "server.py:2: decorates something other than a function"],
  ];
  for (const [use, refusal] of refusals) {
    assert.equal(wrapped({ "m.py": CURRIED_MODULE, "server.py": `from .m import make\n${use}\nmake('ok')(f)\n` }), refusal, use);
  }
});

test("wrappedCallers: a decorated module-level factory is still module-level", () => {
  const decorated = FACTORY_MODULE.replace("def deco(func):", "@log\ndef deco(func):");
  assert.deepEqual(wrapped({ "m.py": decorated, "server.py": lines("from .m import deco", "deco(f)") }), ["server.py arg f [file,arg]"]);
  const curried = CURRIED_MODULE.replace("def make(name):", "@log\ndef make(name):");
  assert.deepEqual(wrapped({ "m.py": curried, "server.py": lines("from .m import make", "make('n')(f)") }), ["server.py arg f named n [file,arg,name]"]);
});

test("callersOf: a registration helper's parameter, at the position it has", () => {
  const index = pkg({ "m.py": lines("def reg(name, fn):", "    pass", "", "reg('a', f)", "reg(fn=g, name='b')", "reg('c', h)") });
  const holder = index.source("m.py").root.descendantsOfType("function_definition")[0] as Node;
  const r = callersOf(index, "m.py", holder, "fn");
  assert.ok("refuse" in r);
  assert.equal(r.refuse, "m.py:5: reg(fn=g, name='b') passes no function");
});

test("wrappedCallers: the factory's own def is not a use of it, even right after a garbage collection", () => {
  // A bug fixed with this test: classify compared nodes by object identity, and the tree-sitter binding
  // hands out a new object for a node whose old one was collected (its finalizer still pending), so the
  // def's own name read as a use and the patch refused "def make(...) uses the wrapper factory".
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  for (const [m, server, sites] of [
    [CURRIED_MODULE, "from .m import make\nmake('n')(f)\n", ["server.py arg f named n [file,arg,name]"]],
    [FACTORY_MODULE, "from .m import deco\ndeco(f)\n", ["server.py arg f [file,arg]"]],
  ] as const) {
    const index = pkg({ "m.py": m, "server.py": server });
    const root = index.source("m.py").root;
    // Objects for every def are made, dropped and collected before the callers are looked for.
    (() => root.descendantsOfType("function_definition").map((d) => d.text).length)();
    gc();
    const wrapper = root.descendantForIndex(root.startIndex + root.text.indexOf("def wrapper")).parent as Node;
    const target = passThroughTarget(wrapper);
    assert.ok(target);
    const r = wrappedCallers(index, "m.py", target);
    assert.ok(!("refuse" in r), "refuse" in r ? r.refuse : "");
    assert.deepEqual(r.sites.map((s) => `${s.file} arg ${s.arg?.text}${s.name ? ` named ${s.name}` : ""} [${Object.keys(s).join(",")}]`), sites);
  }
});

test("wrappedCallers: the factory's own def is told by file and place: a call elsewhere at the same offset is a use", () => {
  // m.py's `def deco` and server.py's `deco(f)` both start at offset 20.
  const m = "\n\n" + FACTORY_MODULE;
  const server = lines("from .m import deco", "deco(f)");
  assert.equal(m.indexOf("def deco"), server.indexOf("deco(f)"));
  assert.deepEqual(wrapped({ "m.py": m, "server.py": server }), ["server.py arg f [file,arg]"]);
});

test("wrappedCallers: a def or class that takes the factory's name inside a function of a module using it is refused (a scope xaccount does not follow)", () => {
  for (const [inner, refusal] of [
    ["    def deco(x): return x", "server.py:4: def deco(x): return x uses the wrapper factory in a way xaccount cannot follow"],
    ["    class deco: pass", "server.py:4: class deco: pass uses the wrapper factory in a way xaccount cannot follow"],
  ]) {
    const server = lines("from .m import deco", "deco(f)", "def h():", inner as string, "    return deco(g)");
    assert.equal(wrapped({ "m.py": FACTORY_MODULE, "server.py": server }), refusal, inner);
  }
  // Such a def at the very offset of the factory's def in m.py: a def of another file, refused all the same.
  const server = lines("from .m import deco", "def h():", "    def deco(x): return x", "    return deco(g)", "deco(f)");
  const m = "\n".repeat(15) + FACTORY_MODULE;
  assert.equal(m.indexOf("def deco"), server.indexOf("def deco"));
  assert.equal(wrapped({ "m.py": m, "server.py": server }), "server.py:3: def deco(x): return x uses the wrapper factory in a way xaccount cannot follow");
  // And in the factory's own module: only the factory's def is its own name.
  const own = FACTORY_MODULE + lines("def h():", "    def deco(x): return x");
  assert.equal(wrapped({ "m.py": own, "server.py": lines("from .m import deco", "deco(f)") }), "m.py:9: def deco(x): return x uses the wrapper factory in a way xaccount cannot follow");
});

// ---------------------------------------------------------------------------------------- resolve.ts

/** Modules the resolver cases import from. */
const LIB: Record<string, string> = {
  "__init__.py": "",
  "tools.py": lines("def f(): pass", "def g(): pass", "class K: pass", '__all__ = ["f",  # first', ' "g"]', "TOOLS = [f, g]"),
  "other.py": lines("def f(): pass", '__all__ = ("f",)'),
  "listed.py": lines("def f(): pass", "def g(): pass", "TOOLS = [f]", "TOOLS.append(g)"),
  "bad_all.py": lines("__all__ = names()"),
  "mixed_all.py": lines('__all__ = ["f", g]'),
  "set_all.py": lines('__all__ = {"f"}'),
  "wraps.py": lines(
    "import functools",
    "def wrap(fn):",
    "    @functools.wraps(fn)",
    "    def w(*args, **kwargs):",
    "        return fn(*args, **kwargs)",
    "    return w",
    "def wrap2(name, fn):",
    "    def other(*args, **kwargs): pass",
    "    @functools.wraps(fn)",
    "    def w(*args, **kwargs):",
    "        return fn(*args, **kwargs)",
    "    return make(w)",
    "    return w",
    "def plain(fn):",
    "    def w(*args, **kwargs): pass",
    "    return w",
    "def unreturned(fn):",
    "    @functools.wraps(fn)",
    "    def w(*args, **kwargs): pass",
    "    w",
    "    return None",
    "def two(a, b):",
    "    @functools.wraps(a)",
    "    def w1(*args, **kwargs): pass",
    "    @functools.wraps(b)",
    "    def w2(*args, **kwargs): pass",
    "    return w2",
    "def foreign(fn):",
    "    @functools.wraps(g)",
    "    def w(*args, **kwargs): pass",
    "    return w",
    "def redefined(fn):",
    "    @functools.wraps(g)",
    "    def w(*args, **kwargs): pass",
    "    @functools.wraps(fn)",
    "    def w(*args, **kwargs): pass",
    "    return w",
  ),
};

type Case = [why: string, server: string, expected: string[]];

function resolveCases(cases: Case[]): void {
  for (const [why, server, expected] of cases) assert.deepEqual(resolveReg({ ...LIB, "server.py": server }), expected, why);
}

test("resolver: literals, collections, parentheses and what is never a function", () => {
  resolveCases([
    ["a def of the module", lines("def f(): pass", "REG(f)"), ["def server.py:f"]],
    ["a string", lines("REG('x')"), ["string x"]],
    ["an empty string", lines("REG('')"), ["string "]],
    ["a list, comments skipped", lines("def f(): pass", "def g(): pass", "REG([f,  # one", "     g])"), ["def server.py:f", "def server.py:g"]],
    ["a tuple", lines("def f(): pass", "REG((f, 'x'))"), ["def server.py:f", "string x"]],
    ["a set", lines("def f(): pass", "REG({f})"), ["def server.py:f"]],
    ["an empty list", lines("REG([])"), []],
    ["parentheses", lines("def f(): pass", "REG((f))"), ["def server.py:f"]],
    ["parentheses around a comment and a name", lines("def f(): pass", "REG((  # why", "    f))"), ["def server.py:f"]],
    ["an await", lines("async def s():", "    REG(await make())"), ["problem await make(): a value computed at run time"]],
    ["an await of a proxy", lines("async def s():", "    REG(await create_proxy())"), ["problem await create_proxy(): a value computed at run time [remote]"]],
    ["a number", lines("REG(1)"), ["problem 1 (integer) is not a function xaccount can find statically"]],
    ["a conditional", lines("REG(a if b else c)"), ["problem a if b else c (conditional expression) is not a function xaccount can find statically"]],
    ["a lambda", lines("REG(lambda: 1)"), ["problem lambda: 1 (lambda) is not a function xaccount can find statically"]],
  ]);
});

test("resolver: names bound in the module, imported, from outside, or nowhere", () => {
  resolveCases([
    ["an assignment", lines("def f(): pass", "h = f", "REG(h)"), ["def server.py:f"]],
    ["the last binding wins", lines("def f(): pass", "def g(): pass", "h = f", "h = g", "REG(h)"), ["def server.py:g"]],
    ["an import from the package", lines("from .tools import f", "REG(f)"), ["def tools.py:f"]],
    ["a module", lines("from . import tools", "REG(tools)"), ["module pkg.tools"]],
    ["a class", lines("from .tools import K", "REG(K)"), ["problem K is a class, not a function"]],
    ["outside the package", lines("from os import path", "REG(path)"), ["problem path comes from outside this package (from os import path): its code is not here to patch"]],
    ["a proxy from outside", lines("from fastmcp import create_proxy", "REG(create_proxy)"), ["problem create_proxy comes from outside this package (from fastmcp import create_proxy): its code is not here to patch [remote]"]],
    ["a name the module does not have", lines("from .tools import nothing", "REG(nothing)"), ["problem pkg.tools defines no nothing"]],
    ["a name bound nowhere", lines("REG(nowhere)"), ["problem nowhere is not defined in server.py"]],
    ["an import inside try", lines("try:", "    from .tools import f", "except ImportError:", "    f = None", "REG(f)"), ["def tools.py:f"]],
  ]);
});

test("resolver: a literal list the module changes at run time is not the list it registers", () => {
  const changes = ["TOOLS.append(g)", "TOOLS .append (g)", "TOOLS.extend([g])", "TOOLS.insert(0, g)", "TOOLS += [g]", "TOOLS+=[g]", "if x:\n    TOOLS.append(g)", "x = 1; TOOLS.append(g)"];
  const noChanges = ["MY_TOOLS.append(g)", "x.TOOLS.append(g)", "TOOLS.appendix(g)", "TOOLS.count(g)", "TOOLS2 = TOOLS", "print(TOOLS)", "TOOLS2 += [g]", "y += 1", "other.append(g)", "TOOLS.append"];
  const server = (change: string): string => lines("def f(): pass", "def g(): pass", "TOOLS = [f]", change, "for t in TOOLS:", "    REG(t)");
  for (const c of changes) {
    assert.deepEqual(resolveReg({ ...LIB, "server.py": server(c) }), [
      "problem t loops over TOOLS, which is not a list xaccount can read statically (TOOLS is a list changed at run time (append/extend/insert/+=): its final content is not in the code)",
    ], c);
  }
  for (const c of noChanges) assert.deepEqual(resolveReg({ ...LIB, "server.py": server(c) }), ["def server.py:f"], c);
  // The name is matched as the text it is (`\t`, `\d`, `\s`... would be regex classes if escaped).
  assert.deepEqual(resolveReg({ ...LIB, "server.py": lines("def f(): pass", "tools_db = [f]", "tools_db.append(g)", "REG(tools_db)") }), ["problem tools_db is a list changed at run time (append/extend/insert/+=): its final content is not in the code"]);
  // Tuples and sets too; a list built by a call is not a literal and is not read as one.
  assert.deepEqual(resolveReg({ ...LIB, "server.py": lines("def f(): pass", "T = (f,)", "T += (g,)", "REG(T)") }), ["problem T is a list changed at run time (append/extend/insert/+=): its final content is not in the code"]);
  assert.deepEqual(resolveReg({ ...LIB, "server.py": lines("def f(): pass", "T = {f}", "T += x", "REG(T)") }), ["problem T is a list changed at run time (append/extend/insert/+=): its final content is not in the code"]);
  assert.deepEqual(resolveReg({ ...LIB, "server.py": lines("def f(): pass", "T = make(f)", "T += [f]", "REG(T)") }), ["problem registered the result of calling make(...): what it returns is only known at run time"]);
  // Imported, by name or through its module: the module that defines it is the one read.
  assert.deepEqual(resolveReg({ ...LIB, "server.py": lines("from .listed import TOOLS", "REG(TOOLS)") }), ["problem TOOLS is a list changed at run time (append/extend/insert/+=): its final content is not in the code"]);
  assert.deepEqual(resolveReg({ ...LIB, "server.py": lines("from . import listed", "REG(listed.TOOLS)") }), ["problem pkg.listed.TOOLS is a list changed at run time (append/extend/insert/+=): its final content is not in the code"]);
  // A bug fixed with these two: the list was looked for as `pkg.listed.TOOLS` or `T` in listed.py, never
  // found changed, and the tool appended at run time (g) went unpatched and unreported.
  assert.deepEqual(resolveReg({ ...LIB, "server.py": lines("from .listed import TOOLS as T", "REG(T)") }), ["problem T is a list changed at run time (append/extend/insert/+=): its final content is not in the code"]);
  assert.deepEqual(resolveReg({ ...LIB, "server.py": lines("from . import listed", "for n in ['TOOLS']:", "    REG(getattr(listed, n))") }), ["problem pkg.listed.TOOLS is a list changed at run time (append/extend/insert/+=): its final content is not in the code"]);
  assert.deepEqual(resolveReg({ ...LIB, "server.py": lines("from . import tools", "REG(tools.TOOLS)") }), ["def tools.py:f", "def tools.py:g"]);
});

test("resolver: keyword names given where a value is made name the problems it has", () => {
  resolveCases([
    [
      "local_tool_name of an awaited proxy",
      lines("async def s():", "    x = await make_proxy(remote, local_tool_name='read_docs')", "    REG(x)"),
      ["problem await make_proxy(remote, local_tool_name='read_docs'): a value computed at run time [remote] (name read_docs)"],
    ],
    ["name=", lines("x = make(name='n', other=1)", "REG(x)"), ["problem registered the result of calling make(...): what it returns is only known at run time (name n)"]],
    ["tool_name=, in parentheses", lines("x = (make(tool_name='t'))", "REG(x)"), ["problem registered the result of calling make(...): what it returns is only known at run time (name t)"]],
    ["a name that is not a string is no name", lines("x = make(name=n)", "REG(x)"), ["problem registered the result of calling make(...): what it returns is only known at run time"]],
    ["another keyword is no name", lines("x = make(title='n')", "REG(x)"), ["problem registered the result of calling make(...): what it returns is only known at run time"]],
    ["a walrus is no keyword", lines("x = make(name := 'n')", "REG(x)"), ["problem registered the result of calling make(...): what it returns is only known at run time"]],
    [
      "a name the problem already has is kept",
      lines("y = make(name='inner')", "x = [y, make(name='outer')]", "REG(x)"),
      [
        "problem registered the result of calling make(...): what it returns is only known at run time (name inner)",
        "problem registered the result of calling make(...): what it returns is only known at run time (name outer)",
      ],
    ],
    ["a def found is not renamed", lines("def f(): pass", "x = pick(f, name='n')", "REG(x)"), ["problem registered the result of calling pick(...): what it returns is only known at run time (name n)"]],
  ]);
});

test("resolver: loop variables, from the innermost loop out", () => {
  resolveCases([
    ["a loop over a literal list", lines("def f(): pass", "def g(): pass", "for t in [f, g]:", "    REG(t)"), ["def server.py:f", "def server.py:g"]],
    ["a loop over a bare tuple", lines("def f(): pass", "def g(): pass", "for t in f, g:", "    REG(t)"), ["def server.py:f", "def server.py:g"]],
    ["a loop in a function", lines("def f(): pass", "def setup():", "    for t in [f]:", "        REG(t)"), ["def server.py:f"]],
    ["the outer of two loops", lines("def f(): pass", "def g(): pass", "for t in [f]:", "    for u in [g]:", "        REG(t)"), ["def server.py:f"]],
    ["the inner of two loops with one name", lines("def f(): pass", "def g(): pass", "for t in [f]:", "    for t in [g]:", "        REG(t)"), ["def server.py:g"]],
    [
      "a loop over what cannot be read",
      lines("for t in get():", "    REG(t)"),
      ["problem t loops over get(), which is not a list xaccount can read statically (registered the result of calling get(...): what it returns is only known at run time)"],
    ],
    ["a loop over an empty list", lines("for t in []:", "    REG(t)"), ["problem t loops over [], which is empty where it is defined (filled at run time)"]],
    ["a loop over a list with a def and a problem", lines("def f(): pass", "for t in [f, nowhere]:", "    REG(t)"), ["def server.py:f", "problem nowhere is not defined in server.py"]],
    ["after the loop, the module's binding", lines("def f(): pass", "def g(): pass", "t = f", "for t in [g]:", "    pass", "REG(t)"), ["def server.py:f"]],
    ["in the loop's own list, not the loop variable", lines("def f(): pass", "t = f", "for t in [REG(t)]:", "    pass"), ["def server.py:f"]],
    ["a loop over pairs", lines("for a, b in pairs:", "    REG(a)"), ["problem a is not defined in server.py"]],
  ]);
});

test("resolver: scopes: a def's body and an if's before the module, never a class body", () => {
  resolveCases([
    ["a local binding", lines("def f(): pass", "def setup():", "    h = f", "    REG(h)"), ["def server.py:f"]],
    ["a local binding beats the module's", lines("def f(): pass", "def g(): pass", "h = g", "def setup():", "    h = f", "    REG(h)"), ["def server.py:f"]],
    ["an if's block", lines("def f(): pass", "if X:", "    h = f", "    REG(h)"), ["def server.py:f"]],
    ["a class body is not a method's scope", lines("def f(): pass", "def g(): pass", "h = f", "class C:", "    h = g", "    def m(self):", "        REG(h)"), ["def server.py:f"]],
    ["a parameter's default is outside the def", lines("def reg(fn, d=REG(fn)):", "    pass", "reg(f)"), ["problem fn is not defined in server.py"]],
  ]);
});

test("resolver: a registration helper's parameter is what every caller passes, under the name it gives", () => {
  resolveCases([
    ["every caller", lines("def f(): pass", "def g(): pass", "def reg(fn):", "    REG(fn)", "reg(f)", "reg(g)"), ["def server.py:f", "def server.py:g"]],
    ["the name a caller gives", lines("def f(): pass", "def reg(name, fn):", "    REG(fn)", "reg('a', f)"), ["def server.py:f as a"]],
    ["a name set deeper is kept when the caller gives none", lines("def f(): pass", "def reg(t):", "    REG(t)", "reg(Tool.from_function(fn=f, name='n'))"), ["def server.py:f as n"]],
    ["the caller's name beats a deeper one", lines("def f(): pass", "def reg(name, t):", "    REG(t)", "reg('a', Tool.from_function(fn=f, name='n'))"), ["def server.py:f as a"]],
    ["only defs take the name", lines("def reg(name, fn):", "    REG(fn)", "reg('a', 's')"), ["string s"]],
    ["a decorated helper", lines("def f(): pass", "def reg(fn):", "    REG(fn)", "@reg", "def g(): pass"), ["def server.py:g"]],
    ["no caller", lines("def reg(fn):", "    REG(fn)"), ["problem fn is a parameter of reg(): no call of reg that hands it a function was found in the package"]],
    ["a method's instance", lines("class C:", "    def m(self):", "        REG(self)"), ["problem self is the instance of m(), not a function"]],
    [
      "a method's other parameter",
      lines("class C:", "    def m(self, fn):", "        REG(fn)"),
      ["problem fn is a parameter of m(): m, which receives it, is not a module-level function (or one returned by one), so its callers cannot be traced"],
    ],
    [
      "a decorated method's first parameter is not an instance",
      lines("class C:", "    @staticmethod", "    def m(fn):", "        REG(fn)"),
      ["problem fn is a parameter of m(): m, which receives it, is not a module-level function (or one returned by one), so its callers cannot be traced"],
    ],
    ["a caller's problem", lines("def reg(fn):", "    REG(fn)", "reg(nowhere)"), ["problem nowhere is not defined in server.py"]],
  ]);
});

test("resolver: attributes: self's methods, a module's names and __all__, a Tool's fn", () => {
  resolveCases([
    ["self.method", lines("class C:", "    def a(self): pass", "    def setup(self):", "        REG(self.a)"), ["def server.py:a"]],
    ["self.method from a decorated method", lines("class C:", "    def a(self): pass", "    @deco", "    def setup(self):", "        REG(self.a)"), ["def server.py:a"]],
    ["a decorated method", lines("class C:", "    @staticmethod", "    def a(): pass", "    def setup(this):", "        REG(this.a)"), ["def server.py:a"]],
    ["a method not in the class body", lines("class C(Base):", "    def setup(self):", "        REG(self.a)"), ["problem self.a: C defines no method a in its own body (inherited or set at run time)"]],
    ["an attribute set in the body is not a method", lines("class C:", "    a = 1", "    def setup(self):", "        REG(self.a)"), ["problem self.a: C defines no method a in its own body (inherited or set at run time)"]],
    ["self outside a class", lines("def setup(self):", "    REG(self.a)", "setup(x)"), ["problem self.a is not a function xaccount can find statically"]],
    ["a module's def", lines("from . import tools", "REG(tools.f)"), ["def tools.py:f"]],
    ["a module's list", lines("from . import tools", "REG(tools.TOOLS)"), ["def tools.py:f", "def tools.py:g"]],
    ["a module's class", lines("from . import tools", "REG(tools.K)"), ["problem pkg.tools.K is a class, not a function"]],
    ["a name the module lacks", lines("from . import tools", "REG(tools.nothing)"), ["problem pkg.tools defines no nothing"]],
    ["a module's __all__", lines("from . import tools", "REG(tools.__all__)"), ["string f of pkg.tools", "string g of pkg.tools"]],
    ["a tuple __all__", lines("from . import other", "REG(other.__all__)"), ["string f of pkg.other"]],
    ["an __all__ made by a call", lines("from . import bad_all", "REG(bad_all.__all__)"), ["problem pkg.bad_all.__all__ is not a literal list of names"]],
    ["a set __all__", lines("from . import set_all", "REG(set_all.__all__)"), ["problem pkg.set_all.__all__ is not a literal list of names"]],
    ["an __all__ holding a name", lines("from . import mixed_all", "REG(mixed_all.__all__)"), ["problem pkg.mixed_all.__all__ holds more than plain strings"]],
    ["each of two modules", lines("from . import tools, other", "for m in [tools, other]:", "    REG(m.f)"), ["def tools.py:f", "def other.py:f"]],
    ["a module and something else", lines("from . import tools", "for m in [tools, x]:", "    REG(m.f)"), ["problem m.f is not a function xaccount can find statically"]],
    ["a module and a def", lines("from . import tools", "def d(): pass", "for m in [tools, d]:", "    REG(m.f)"), ["problem m.f is not a function xaccount can find statically"]],
    ["a Tool object's fn", lines("REG(t.fn)"), ["tool-fn t.fn"]],
    ["an attribute of nothing", lines("REG([].f)"), ["problem [].f is not a function xaccount can find statically"]],
    ["self outside any def", lines("REG(self.a)"), ["problem self.a is not a function xaccount can find statically"]],
    [
      "another parameter is not self",
      lines("class C:", "    def a(self): pass", "    def setup(self, other):", "        REG(other.a)"),
      ["problem other.a is not a function xaccount can find statically"],
    ],
    ["a module without __all__", lines("from . import listed", "REG(listed.__all__)"), ["problem pkg.listed.__all__ is not a literal list of names"]],
    ["a module's fn is the module's", lines("from . import tools", "REG(tools.fn)"), ["problem pkg.tools defines no fn"]],
    ["an unknown attribute", lines("REG(a.b)"), ["problem a.b is not a function xaccount can find statically"]],
    ["a proxy's attribute", lines("REG(proxy.tools)"), ["problem proxy.tools is not a function xaccount can find statically [remote]"]],
    ["an attribute of a call", lines("REG(make().b)"), ["problem make().b is not a function xaccount can find statically"]],
  ]);
});

test("resolver: getattr over a module and names, __all__'s names only in their own module", () => {
  resolveCases([
    ["a literal name", lines("from . import tools", "REG(getattr(tools, 'f'))"), ["def tools.py:f"]],
    ["every name of __all__", lines("from . import tools", "for n in tools.__all__:", "    REG(getattr(tools, n))"), ["def tools.py:f", "def tools.py:g"]],
    [
      "__all__ of one module over two modules",
      lines("from . import tools, other", "for m in [tools, other]:", "    for n in tools.__all__:", "        REG(getattr(m, n))"),
      ["def tools.py:f", "def tools.py:g"],
    ],
    ["a literal name in two modules", lines("from . import tools, other", "for m in [tools, other]:", "    REG(getattr(m, 'f'))"), ["def tools.py:f", "def other.py:f"]],
    ["a default makes it a call", lines("from . import tools", "REG(getattr(tools, 'f', None))"), ["problem registered the result of calling getattr(...): what it returns is only known at run time"]],
    ["an object that is not there", lines("REG(getattr(x, 'f'))"), ["problem getattr(x, 'f'): x is not defined in server.py"]],
    ["an object that is not a module", lines("def d(): pass", "REG(getattr(d, 'f'))"), ["problem getattr(d, 'f'): not a module and a name xaccount can read statically"]],
    ["a name that is not a string", lines("from . import tools", "def d(): pass", "REG(getattr(tools, d))"), ["problem getattr(tools, d): not a module and a name xaccount can read statically"]],
    ["names some of which are not strings", lines("from . import tools", "def d(): pass", "for n in ['f', d]:", "    REG(getattr(tools, n))"), ["problem getattr(tools, n): not a module and a name xaccount can read statically"]],
    ["a name that cannot be read", lines("from . import tools", "REG(getattr(tools, pick()))"), ["problem getattr(tools, pick()): registered the result of calling pick(...): what it returns is only known at run time"]],
    ["a module and a def", lines("from . import tools", "def d(): pass", "for m in [tools, d]:", "    REG(getattr(m, 'f'))"), ["problem getattr(m, 'f'): not a module and a name xaccount can read statically"]],
  ]);
});

test("resolver: calls: Tool.from_function, proxies, pass-through factories", () => {
  resolveCases([
    ["Tool.from_function(f)", lines("def f(): pass", "REG(Tool.from_function(f))"), ["def server.py:f"]],
    ["fn= and name=", lines("def f(): pass", "REG(FunctionTool.from_function(fn=f, name='n'))"), ["def server.py:f as n"]],
    ["fn= beats the first positional", lines("def f(): pass", "def g(): pass", "REG(Tool.from_function(g, fn=f))"), ["def server.py:f"]],
    ["a module path", lines("def f(): pass", "REG(fastmcp.tools.Tool.from_function(f, name=n))"), ["def server.py:f"]],
    ["spaces around the dot", lines("def f(): pass", "REG(Tool . from_function(f))", "REG(Tool. from_function(f))", "REG(Tool .from_function(f))"), ["def server.py:f"]],
    ["no function", lines("REG(Tool.from_function(name='n'))"), ["problem Tool.from_function(name='n'): no function given"]],
    ["a name for a string is none", lines("REG(Tool.from_function('s', name='n'))"), ["string s"]],
    ["a Prompt is not a Tool", lines("def f(): pass", "REG(Prompt.from_function(f))"), ["problem registered the result of calling Prompt.from_function(...): what it returns is only known at run time"]],
    ["ToolBox.from_function_x is not the factory", lines("def f(): pass", "REG(Tool.from_functions(f))"), ["problem registered the result of calling Tool.from_functions(...): what it returns is only known at run time"]],
    ["a proxy", lines("REG(create_proxy('https://x'))"), ["problem create_proxy('https://x'): proxied from a remote MCP server, no Python body to patch [remote]"]],
    ["a proxied tool", lines("REG(mod.make_proxied_tool(x))"), ["problem mod.make_proxied_tool(x): proxied from a remote MCP server, no Python body to patch [remote]"]],
    ["a pass-through factory", lines("from .wraps import wrap", "def f(): pass", "REG(wrap(f))"), ["def server.py:f"]],
    ["through its module", lines("from . import wraps", "def f(): pass", "REG(wraps.wrap(f))"), ["def server.py:f"]],
    ["the parameter it wraps, not the first", lines("from .wraps import wrap2", "def f(): pass", "REG(wrap2('n', f))"), ["def server.py:f"]],
    ["no argument", lines("from .wraps import wrap", "REG(wrap())"), ["problem registered the result of calling wrap(...): what it returns is only known at run time"]],
    ["a factory whose def wraps nothing", lines("from .wraps import plain", "def f(): pass", "REG(plain(f))"), ["problem registered the result of calling plain(...): what it returns is only known at run time"]],
    ["a factory that makes a wrapper but returns none", lines("from .wraps import unreturned", "def f(): pass", "REG(unreturned(f))"), ["problem registered the result of calling unreturned(...): what it returns is only known at run time"]],
    ["a factory with two wrappers returns the second", lines("from .wraps import two", "def f(): pass", "def g(): pass", "REG(two(f, g))"), ["def server.py:g"]],
    ["fn given by walrus is not fn=", lines("def f(): pass", "REG(Tool.from_function(fn := f))"), ["problem fn := f (named expression) is not a function xaccount can find statically"]],
    ["a factory whose def wraps another name", lines("from .wraps import foreign", "def f(): pass", "REG(foreign(f))"), ["problem registered the result of calling foreign(...): what it returns is only known at run time"]],
    ["a def of the returned name that wraps another name does not hide a later one that wraps a parameter", lines("from .wraps import redefined", "def f(): pass", "REG(redefined(f))"), ["def server.py:f"]],
    ["either of two factories", lines("from .wraps import wrap", "def f(): pass", "for w in [wrap, wrap]:", "    REG(w(f))"), ["problem registered the result of calling w(...): what it returns is only known at run time"]],
    ["a module called", lines("from . import tools", "def f(): pass", "REG(tools(f))"), ["problem registered the result of calling tools(...): what it returns is only known at run time"]],
    ["a string called", lines("def f(): pass", "REG('s'(f))"), ["problem registered the result of calling 's'(...): what it returns is only known at run time"]],
    ["a class called", lines("class C: pass", "REG(C())"), ["problem registered the result of calling C(...): what it returns is only known at run time"]],
    ["a call of a call", lines("REG(make()())"), ["problem registered the result of calling make()(...): what it returns is only known at run time"]],
  ]);
});

test("resolver: pass-through wrappers registered: what they wrap, a few levels deep, never in circles", () => {
  const chain = (n: number): string => {
    const defs = ["import functools", "def f(): pass"];
    for (let i = 1; i <= n; i++) defs.push(`@functools.wraps(${i === 1 ? "f" : `w${i - 1}`})`, `def w${i}(*args, **kwargs): pass`);
    return lines(...defs, `REG(w${n})`);
  };
  resolveCases([
    // The wrapper's own registered name (none here) rides along: `name` is set, to undefined.
    ["a wrapper of a def", chain(1), ["def server.py:f as undefined"]],
    ["four wrappers deep", chain(4), ["def server.py:f as undefined"]],
    ["five wrappers deep is too deep", chain(5), ["problem pass-through wrapper w1 wraps another wrapper too deeply to follow [wrapper]"]],
    [
      "two wrappers of each other",
      lines("from functools import wraps", "@wraps(b)", "def a(*x, **y): pass", "@wraps(a)", "def b(*x, **y): pass", "REG(a)"),
      ["problem pass-through wrapper a wraps another wrapper too deeply to follow [wrapper]"],
    ],
    [
      "a wrapper of what cannot be traced",
      lines("from functools import wraps", "class C:", "    def m(self):", "        @wraps(self.f)", "        def w(*a, **k): pass", "        REG(w)"),
      ["problem server.py:5: w(*args, **kwargs) is a pass-through wrapper: it wraps self.f, which xaccount cannot trace [wrapper] (name w)"],
    ],
    [
      "a factory's wrapper, through every call of the factory, named by it",
      lines("import functools", "def f(): pass", "def deco(func, name=None):", "    @functools.wraps(func)", "    def wrapper(*args, **kwargs): pass", "    REG(wrapper)", "    return wrapper", "deco(f, 'n')", "@deco", "def g(): pass"),
      ["def server.py:f as n", "def server.py:g as undefined"],
    ],
    [
      // A string among the functions handed over: the factory's callers are read one by one.
      "a factory handed a string and a def",
      lines("import functools", "def f(): pass", "def deco(func):", "    @functools.wraps(func)", "    def wrapper(*args, **kwargs): pass", "    REG(wrapper)", "    return wrapper", "deco('s')", "deco(f, name='n')", "deco(nowhere)", "@deco", "def g(): pass"),
      ["string s", "def server.py:f as n", "def server.py:g as undefined", "problem nowhere is not defined in server.py"],
    ],
    [
      "a factory handed a string and wrappers three and four deep",
      lines(
        "import functools",
        "def f(): pass",
        "@functools.wraps(f)",
        "def w1(*a, **k): pass",
        "@functools.wraps(w1)",
        "def w2(*a, **k): pass",
        "@functools.wraps(w2)",
        "def w3(*a, **k): pass",
        "@functools.wraps(w3)",
        "def w4(*a, **k): pass",
        "def deco(func):",
        "    @functools.wraps(func)",
        "    def wrapper(*args, **kwargs): pass",
        "    REG(wrapper)",
        "    return wrapper",
        "deco('s')",
        "deco(w3)",
        "deco(w4)",
      ),
      ["string s", "def server.py:f as undefined", "problem pass-through wrapper w1 wraps another wrapper too deeply to follow [wrapper]"],
    ],
    [
      "a factory nobody calls",
      lines("import functools", "def deco(func):", "    @functools.wraps(func)", "    def wrapper(*args, **kwargs): pass", "    REG(wrapper)", "    return wrapper"),
      ["problem server.py:4: wrapper(*args, **kwargs) is a pass-through wrapper: no call of deco that hands it a function was found in the package [wrapper] (name wrapper)"],
    ],
  ]);
});

test("resolver: a wrapper's name and the name it is registered under", () => {
  const index = pkg({
    "server.py": lines(
      "import functools",
      "def f(): pass",
      "@functools.wraps(f)",
      "def w(*a, **k): pass",
      "def deco(func):",
      "    @functools.wraps(func)",
      "    def wrapper(*args, **kwargs): pass",
      "    return wrapper",
      "deco(nowhere)",
      "@deco",
      "def g(): pass",
      "deco(f, name='n')",
      "@functools.wraps(missing)",
      "def lost(*a, **k): pass",
    ),
  });
  const resolver = new Resolver(index);
  const def = (name: string): Node => index.source("server.py").root.descendantsOfType("function_definition").find((d) => nameOf(d) === name) as Node;
  assert.deepEqual(show(resolver.throughWrappers({ kind: "def", file: "server.py", func: def("w"), name: "t" }, 0)), ["def server.py:f as t"]);
  assert.deepEqual(show(resolver.throughWrappers({ kind: "def", file: "server.py", func: def("w") }, 0)), ["def server.py:f as undefined"]);
  assert.deepEqual(show(resolver.throughWrappers({ kind: "def", file: "server.py", func: def("g"), name: "t" }, 0)), ["def server.py:g as t"]);
  assert.deepEqual(show(resolver.throughWrappers({ kind: "string", value: "s" }, 0)), ["string s"]);
  // Through a factory's callers: the caller's name first, and their problems kept (a bug fixed with this
  // test: `deco(nowhere)` was dropped when other callers resolved, so a tool went unreported).
  assert.deepEqual(show(resolver.throughWrappers({ kind: "def", file: "server.py", func: def("wrapper"), name: "t" }, 0)), [
    "def server.py:g as t",
    "def server.py:f as n",
    "problem nowhere is not defined in server.py",
  ]);
  assert.deepEqual(show(resolver.throughWrappers({ kind: "def", file: "server.py", func: def("lost"), name: "t" }, 0)), [
    "problem server.py:14: lost(*args, **kwargs) is a pass-through wrapper: missing is neither a function of this package nor a parameter of the factory [wrapper] (name t)",
  ]);
  // Already too deep when asked.
  assert.deepEqual(show(resolver.throughWrappers({ kind: "def", file: "server.py", func: def("w") }, 4)), ["problem pass-through wrapper w wraps another wrapper too deeply to follow [wrapper]"]);
  assert.deepEqual(show(resolver.throughWrappers({ kind: "def", file: "server.py", func: def("w") }, 3)), ["def server.py:f as undefined"]);
});

test("resolver: a chain of names ends at a depth limit, said as such", () => {
  const chain = (n: number): string => lines("def f(): pass", "x0 = f", ...Array.from({ length: n }, (_, i) => `x${i + 1} = x${i}`), `REG(x${n})`);
  const index = (n: number): string[] => resolveReg({ "server.py": chain(n) });
  let longest = 0;
  while (longest < 40 && index(longest + 1)[0] === "def server.py:f") longest++;
  assert.equal(longest, 11, "twelve names followed, no more");
  assert.deepEqual(index(12), ["problem f: too many indirections to follow"]);
  assert.deepEqual(index(13), ["problem x0: too many indirections to follow"]);
});

test("resolver: every construct spends one level of the depth budget, no more, no less", () => {
  // xN stands for f (or what the construct needs) through a chain of N names; the longest chain that still
  // resolves says how many levels the construct itself spends on the way.
  const chain = (n: number, start: string): string[] => [`x0 = ${start}`, ...Array.from({ length: n }, (_, i) => `x${i + 1} = x${i}`)];
  const constructs: Array<[string, (x: string) => string[], string, string, number]> = [
    ["a bare name", (x) => [`REG(${x})`], "f", "def server.py:f", 11],
    ["a list element", (x) => [`REG([${x}])`], "f", "def server.py:f", 10],
    ["parentheses", (x) => [`REG((${x}))`], "f", "def server.py:f", 10],
    ["a loop's list", (x) => [`for t in [${x}]:`, "    REG(t)"], "f", "def server.py:f", 9],
    ["a helper's caller", (x) => ["def reg(fn):", "    REG(fn)", `reg(${x})`], "f", "def server.py:f", 10],
    ["an attribute's module", (x) => [`REG(${x}.f)`], "tools", "def tools.py:f", 10],
    ["Tool.from_function", (x) => [`REG(Tool.from_function(${x}))`], "f", "def server.py:f", 10],
    ["a factory called", (x) => [`REG(${x}(f))`], "wrap", "def server.py:f", 10],
    ["a factory's argument", (x) => [`REG(wrap(${x}))`], "f", "def server.py:f", 10],
    ["getattr's module", (x) => [`REG(getattr(${x}, 'f'))`], "tools", "def tools.py:f", 10],
    ["getattr's name", (x) => [`REG(getattr(tools, ${x}))`], "'f'", "def tools.py:f", 10],
    ["a wrapper's target", (x) => ["import functools", `@functools.wraps(${x})`, "def w(*a, **k): pass", "REG(w)"], "f", "def server.py:f as undefined", 10],
    [
      "a wrapper factory's caller",
      (x) => ["import functools", "def deco(func):", "    @functools.wraps(func)", "    def wrapper(*args, **kwargs): pass", "    REG(wrapper)", "    return wrapper", "deco('s')", `deco(${x})`],
      "f",
      "def server.py:f as undefined",
      10,
    ],
  ];
  for (const [why, use, start, want, longest] of constructs) {
    const at = (n: number): string[] =>
      resolveReg({ ...LIB, "server.py": lines("from . import tools", "from .wraps import wrap", "def f(): pass", ...chain(n, start), ...use(`x${n}`)) }).filter((l) => l !== "string s");
    assert.deepEqual(at(longest), [want], `${why}: ${longest} names`);
    assert.notDeepEqual(at(longest + 1), [want], `${why}: ${longest + 1} names`);
  }
});

test("resolve helpers: parameter names, positional and keyword arguments, string values", () => {
  const def = (src: string): Node => parsePython(src).rootNode.descendantsOfType("function_definition")[0] as Node;
  assert.deepEqual(parameterNames(def("def f(a, b: int, c=1, d: int = 2, *args, e, **kw): pass\n")), ["a", "b", "c", "d", "args", "e", "kw"]);
  assert.deepEqual(parameterNames(def("def f(a, /, *, b): pass\n")), ["a", "b"]);
  assert.deepEqual(parameterNames(def("def f(*args: int, **kw: str): pass\n")), ["args", "kw"]);
  assert.deepEqual(parameterNames(def("def f(): pass\n")), []);
  const args = (src: string): Node => parsePython(src).rootNode.descendantsOfType("argument_list")[0] as Node;
  const a = args("f(x, 'y', *rest, k=1, name='n', **more,  # why\n  z)\n");
  assert.deepEqual(positionalArgs(a).map((n) => n.text), ["x", "'y'", "z"]);
  assert.equal(keywordValue(a, "k")?.text, "1");
  assert.equal(keywordValue(a, "name")?.text, "'n'");
  assert.equal(keywordValue(a, "x"), undefined);
  assert.equal(keywordString(a, ["name"]), "n");
  assert.equal(keywordString(a, ["other", "name"]), "n");
  assert.equal(keywordString(a, ["k"]), undefined, "1 is not a string");
  assert.equal(keywordString(a, []), undefined);
  assert.equal(keywordString(args("f(name='a', name2='b')\n"), ["name2"]), "b");
  const str = (src: string): string => stringValue(parsePython(src).rootNode.descendantsOfType("string")[0] as Node);
  assert.equal(str("'abc'\n"), "abc");
  assert.equal(str("''\n"), "");
  assert.equal(str('"""a\nb"""\n'), "a\nb");
  assert.equal(str("f'a{x}b'\n"), "ab");
});

// ------------------------------------------------------------------------------------- find-tools.ts

/** Tools and skips `findTools` reports for server.py in a package of `files`, as comparable lines. */
function found(server: string, files: Record<string, string> = {}, rules = DEFAULT_RULES): { tools: string[]; skipped: string[]; fns: number[]; factory: [number, number] } {
  const index = pkg({ ...files, "server.py": server });
  const r = findTools(index.source("server.py").root, rules, { resolver: new Resolver(index), file: "server.py" });
  return {
    tools: r.tools.map((t) => `${t.name}/${t.funcName} ${t.file}:${t.line} ${t.registration}`),
    skipped: r.skipped.map((s) => `${s.line} ${s.kind} ${s.name}: ${s.reason}`),
    fns: r.toolObjectFns,
    factory: [r.factoryTools, r.factoryProblems],
  };
}

test("findTools: decorators, bare or called, named by name= or a first string; nothing that only looks like one", () => {
  const r = found(
    lines(
      "@mcp.tool",
      "def a(): pass",
      "@mcp.tool()",
      "def b(): pass",
      "@mcp.tool(name='n', title='t')",
      "def c(): pass",
      "@mcp.tool('pos')",
      "async def d(): pass",
      "@x.y.tool",
      "def e(): pass",
      "@mcp. tool",
      "def s(): pass",
      "@mcp.tool\nclass K: pass",
      "@mcp.tools",
      "def no1(): pass",
      "@mcp.tool_x",
      "def no2(): pass",
      "@mcp.prompt",
      "def no3(): pass",
      "# @mcp.tool",
      "def no4(): pass",
      "X = '@mcp.tool'",
      "@tool",
      "def no5(): pass",
      "@mcp.tool(name=n)",
      "def g(): pass",
      "@mcp.tool()\nclass K2: pass",
      "@mcp.add_tool()",
      "def no6(): pass",
      "@mcp.mount()",
      "def no7(): pass",
      "@mcp.add_tool",
      "def no8(): pass",
      "@mcp.mount",
      "def no9(): pass",
    ),
  );
  assert.deepEqual(r.tools, [
    "a/a server.py:2 decorator",
    "b/b server.py:4 decorator",
    "n/c server.py:6 decorator",
    "pos/d server.py:8 decorator",
    "e/e server.py:10 decorator",
    "s/s server.py:12 decorator",
    "g/g server.py:27 decorator",
  ]);
  assert.deepEqual(r.skipped, []);
  // The byte order mark moves every index by one: the decorator is still found.
  assert.deepEqual(found("\uFEFF@mcp.tool\ndef a(): pass\n").tools, ["a/a server.py:2 decorator"]);
  // Without a package around it, the module is module.py.
  assert.deepEqual(findTools(parsePython("@mcp.tool\ndef a(): pass\n").rootNode).tools.map((t) => t.file), ["module.py"]);
});

test("findTools: call registrations, applied decorators, and what passes no function", () => {
  const r = found(
    lines(
      "def f(): pass",
      "def g(): pass",
      "def h(): pass",
      "def i(): pass",
      "def j(): pass",
      "mcp.add_tool(f)",
      "mcp.add_tool(tool=g)",
      "mcp.add_tool(fn=h, name='hn')",
      "mcp.tool(name='in')(i)",
      "mcp.tool('jn')(j)",
      "mcp.add_tool()",
      "mcp.tool()()",
      "kept = mcp.tool(name='k')",
      "mcp.tool()",
      "mcp.add_tool(t.fn)",
      "mcp.tool('just a name')",
    ),
  );
  assert.deepEqual(r.tools, ["f/f server.py:1 call", "g/g server.py:2 call", "hn/h server.py:3 call", "in/i server.py:4 call", "jn/j server.py:5 call"]);
  assert.deepEqual(r.skipped, [
    "11 unresolved mcp.add_tool(): a tool registration that passes no function",
    "12 unresolved mcp.tool()(): a tool registration that passes no function",
    "13 unresolved k: mcp.tool(name='k') is kept in a value and applied elsewhere: xaccount cannot tell to which function",
    "14 unresolved mcp.tool(): mcp.tool() is kept in a value and applied elsewhere: xaccount cannot tell to which function",
    "16 unresolved just a name: mcp.tool('just a name') is kept in a value and applied elsewhere: xaccount cannot tell to which function",
  ]);
  assert.deepEqual(r.fns, [15]);
  // x.tool(f) registers f; a Tool object's .fn is counted, not resolved.
  assert.deepEqual(found(lines("def f(): pass", "mcp.tool(f)", "mcp.tool(name='x')(t.fn)")).tools, ["f/f server.py:1 call"]);
  assert.deepEqual(found(lines("def f(): pass", "mcp.tool(f)", "mcp.tool(name='x')(t.fn)")).fns, [3]);
});

test("findTools: one def registered twice is one tool, under the name given where it is registered", () => {
  const cases: Array<[string, string[]]> = [
    [lines("@mcp.tool", "def f(): pass", "mcp.add_tool(f, name='n')"), ["n/f server.py:2 call"]],
    [lines("mcp.add_tool(f, name='n')", "@mcp.tool", "def f(): pass"), ["n/f server.py:3 call"]],
    [lines("def f(): pass", "mcp.add_tool(f, name='a')", "mcp.add_tool(f, name='b')"), ["a/f server.py:1 call"]],
    [lines("def f(): pass", "mcp.add_tool(f, name='f')", "mcp.add_tool(f, name='b')"), ["b/f server.py:1 call"]],
    [lines("def f(): pass", "mcp.add_tool(f)", "mcp.add_tool(f)"), ["f/f server.py:1 call"]],
    [lines("@mcp.tool", "def f(): pass", "mcp.add_tool(f)"), ["f/f server.py:2 decorator"]],
    // In the order of the defs, not of the registrations.
    [lines("def b(): pass", "def a(): pass", "mcp.add_tool(a)", "mcp.add_tool(b)"), ["b/b server.py:1 call", "a/a server.py:2 call"]],
  ];
  for (const [src, tools] of cases) assert.deepEqual(found(src).tools, tools, src);
});

test("findTools: skips are reported once per line and reason, with the reason and kind the resolver gives", () => {
  const r = found(
    lines(
      "mcp.add_tool([one, two])",
      "",
      "mcp.add_tool([nowhere, nowhere])",
      "mcp.add_tool('s')",
      "mcp.add_tool(create_proxy(u))",
      "from . import tools",
      "mcp.add_tool(tools)",
      "mcp.add_tool(make(), name='given')",
      "import functools",
      "@mcp.tool()",
      "@functools.wraps(self.f)",
      "def w(*a, **k): pass",
    ),
    { "tools.py": "" },
  );
  assert.deepEqual(r.skipped, [
    "1 unresolved [one, two]: one is not defined in server.py",
    "1 unresolved [one, two]: two is not defined in server.py",
    "3 unresolved [nowhere, nowhere]: nowhere is not defined in server.py",
    "4 unresolved s: registers the string \"s\", not a function",
    "5 remote create_proxy(u): proxied from a remote MCP server: no Python body to patch (create_proxy(u): proxied from a remote MCP server, no Python body to patch)",
    "7 unresolved tools: registers the module pkg.tools, not a function",
    "8 unresolved given: registered the result of calling make(...): what it returns is only known at run time",
    "12 wrapper w: server.py:12: w(*args, **kwargs) is a pass-through wrapper: it wraps self.f, which xaccount cannot trace",
  ]);
  assert.deepEqual(r.tools, []);
});

test("findTools: a decorated pass-through wrapper registers what it wraps, under the decorator's name", () => {
  const r = found(lines("import functools", "def g(): pass", "@mcp.tool(name='n')", "@functools.wraps(g)", "def w(*a, **k): pass", "@mcp.tool", "@functools.wraps(g)", "def v(*a, **k): pass"));
  assert.deepEqual(r.tools, ["n/g server.py:2 decorator"]);
  // Defs of another module, reported in their own file and line.
  assert.deepEqual(found(lines("from .tools import f", "mcp.add_tool(f)"), { "tools.py": lines("", "def f(): pass") }).tools, ["f/f tools.py:2 call"]);
});

test("findTools: Tool.from_function anywhere is a tool; Prompt.from_function and the like are not", () => {
  const cases: Array<[string, string[], string[], [number, number]]> = [
    [lines("def f(): pass", "T = Tool.from_function(f, name='n')"), ["n/f server.py:1 call"], [], [1, 0]],
    [lines("def f(): pass", "T = Prompt.from_function(f)"), [], [], [0, 0]],
    [lines("def f(): pass", "T = Tool.from_function"), [], [], [0, 0]],
    [lines("def f(): pass", "# T = Tool.from_function(f)", "X = 'Tool.from_function(f)'"), [], [], [0, 0]],
    [lines("T = Tool.from_function('s')"), [], ['2 unresolved Tool.from_function(\'s\'): registers the string "s", not a function'], [0, 1]],
    [lines("T = Tool.from_function(nowhere)"), [], ["2 unresolved Tool.from_function(nowhere): nowhere is not defined in server.py"], [0, 1]],
    [lines("def f(): pass", "def g(): pass", "TS = [Tool.from_function(f), FunctionTool . from_function(g)]"), ["f/f server.py:1 call", "g/g server.py:2 call"], [], [2, 0]],
    [lines("def f(): pass", "mcp.add_tool(Tool.from_function(f))"), ["f/f server.py:1 call"], [], [1, 0]],
  ];
  for (const [src, tools, skipped, factory] of cases) {
    const r = found(src);
    assert.deepEqual([r.tools, r.skipped.map((s) => s.replace(/^\d+/, String(Number(s.split(" ")[0]) + 1))), r.factory], [tools, skipped, factory], src);
  }
});

test("findTools: mounts of a remote server are skipped as remote, a local sub-server is not", () => {
  const r = found(
    lines(
      "mcp.mount(create_proxy('u'), namespace='kb')",
      "mcp.mount(as_proxy('u'), prefix='p')",
      "mcp.import_server(create_proxy('u'))",
      "srv = make_proxied_server('u')",
      "mcp.mount(srv)",
      "sub = FastMCP('sub')",
      "mcp.mount(sub, namespace='local')",
      "mcp.mount(make_server())",
      "mcp.mount()",
      "mcp.mount(namespace='x')",
      "mcp.unmount(create_proxy('u'))",
      "from fastmcp.server import remote",
      "mcp.mount(remote)",
      "for s in [create_proxy('a'), 'x', nowhere]:",
      "    mcp.mount(s)",
      "from . import remotes",
      "mcp.mount(remotes.srv, namespace='r')",
      "mcp.mount(remotes.sub, namespace='l')",
    ),
    { "remotes.py": lines("srv = create_proxy('u')", "sub = FastMCP('sub')") },
  );
  assert.deepEqual(r.skipped, [
    "1 remote kb_*: tools of a remote MCP server mounted here (create_proxy('u')): they have no Python body in this package",
    "2 remote p_*: tools of a remote MCP server mounted here (as_proxy('u')): they have no Python body in this package",
    "3 remote create_proxy('u'): tools of a remote MCP server mounted here (create_proxy('u')): they have no Python body in this package",
    "5 remote srv: tools of a remote MCP server mounted here (srv): they have no Python body in this package",
    "15 remote s: tools of a remote MCP server mounted here (s): they have no Python body in this package",
    // A bug fixed with this test: a remote server mounted through its module went unlisted.
    "17 remote r_*: tools of a remote MCP server mounted here (remotes.srv): they have no Python body in this package",
  ]);
  assert.deepEqual(r.tools, []);
});

test("findTools: other rules, and the registration pattern escapes what it is given", () => {
  const rules = { decoratorAttributes: ["register"], registerCalls: ["add"], mountCalls: [] };
  const r = found(lines("@app.register", "def a(): pass", "def b(): pass", "app.add(b)", "@mcp.tool", "def c(): pass"), {}, rules);
  assert.deepEqual(r.tools, ["a/a server.py:2 decorator", "b/b server.py:3 call"]);
  const p = registrationPattern({ decoratorAttributes: ["t+x"], registerCalls: ["a.b"], mountCalls: ["m"] });
  assert.equal(p.exec("x.t+x")?.[1], "t+x");
  assert.equal(p.test("x.ttx"), false);
  assert.equal(p.test("x.a.b"), true);
  assert.equal(p.test("x.aXb"), false);
  assert.equal(p.exec("x. \tm(1)")?.[1], "m");
  assert.equal(p.test("x.mm"), false);
  assert.equal(p.test("xm"), false);
  assert.equal(registrationPattern(DEFAULT_RULES, "g").flags, "g");
  assert.deepEqual([..."a.tool b.add_tool c.mount d.import_server".matchAll(registrationPattern(DEFAULT_RULES, "g"))].map((m) => m[1]), ["tool", "add_tool", "mount", "import_server"]);
});

test("parsePython reads a file far over 32 KiB whole (old bindings cut it at their string buffer)", () => {
  const body = Array.from({ length: 5000 }, (_, i) => `def f${i}(x):\n    return x + ${i}  # é\n`).join("");
  const tree = parsePython(body);
  assert.equal(tree.rootNode.hasError, false);
  assert.equal(tree.rootNode.namedChildCount, 5000);
  assert.equal(tree.rootNode.lastChild?.childForFieldName("name")?.text, "f4999");
});

test("shellQuote: safe words as they are, anything else one single-quoted word; patchCommand quotes the path", () => {
  for (const safe of ["abc", "/usr/lib/python3.11/site-packages", "a-b_c@d%e+f=g:h,i.j", "0"]) assert.equal(shellQuote(safe), safe);
  assert.equal(shellQuote(""), "''");
  assert.equal(shellQuote("my dir"), "'my dir'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(shellQuote("$HOME"), "'$HOME'");
  assert.equal(shellQuote("a\nb"), "'a\nb'");
  assert.equal(patchCommand("ecs", "/tmp/my server", "--check"), "xaccount patch ecs '/tmp/my server' --check");
});

test("runtimeImportModule: the vendored runtime's dotted module beside the package", () => {
  assert.equal(runtimeImportModule("awslabs/ecs_mcp_server"), "awslabs.ecs_mcp_server._xaccount");
  assert.equal(runtimeImportModule("solo"), "solo._xaccount");
});
