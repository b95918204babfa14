/** Parsing Python with tree-sitter, and finding the first place a tree fails to parse. */
import { createRequire } from "node:module";
import type Parser from "tree-sitter";

export type Node = Parser.SyntaxNode;
export type Tree = Parser.Tree;

let parser: Parser | undefined;

/**
 * The native parser is loaded on first use, not at import: commands that never parse Python
 * (create-role, --help) do not pay for loading it.
 */
function getParser(): Parser {
  if (!parser) {
    const require = createRequire(import.meta.url);
    const ParserClass = require("tree-sitter") as typeof Parser;
    const python = require("tree-sitter-python") as Parser.Language;
    parser = new ParserClass();
    parser.setLanguage(python);
  }
  return parser;
}

/**
 * Parses a whole file. (node-tree-sitter before 0.21 cut strings at a 32 KiB buffer unless told a
 * bigger `bufferSize`; 0.25 reads the whole string, which a test of a 190 KB file checks.)
 */
export function parsePython(text: string): Tree {
  return getParser().parse(text);
}

export interface SyntaxProblem {
  /** 1-based line and column. */
  line: number;
  column: number;
  what: string;
}

/** The first ERROR or MISSING node in document order, or undefined when the tree is clean. */
export function firstSyntaxProblem(tree: Tree): SyntaxProblem | undefined {
  if (!tree.rootNode.hasError) return undefined;
  const found = walkFirst(tree.rootNode);
  if (!found) return { line: 1, column: 1, what: "syntax error" };
  return {
    line: found.startPosition.row + 1,
    column: found.startPosition.column + 1,
    what: found.isMissing ? `missing ${JSON.stringify(found.type)}` : "syntax error",
  };
}

function walkFirst(node: Node): Node | undefined {
  if (node.type === "ERROR" || node.isMissing) return node;
  if (!node.hasError) return undefined;
  for (const child of node.children) {
    const hit = walkFirst(child);
    if (hit) return hit;
  }
  return undefined;
}
