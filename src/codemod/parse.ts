/** Parsing Python with tree-sitter, and finding the first place a tree fails to parse. */
import Parser from "tree-sitter";
import Python from "tree-sitter-python";

export type Node = Parser.SyntaxNode;
export type Tree = Parser.Tree;

let parser: Parser | undefined;

function getParser(): Parser {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(Python as unknown as Parser.Language);
  }
  return parser;
}

/**
 * Parses a whole file. The input goes through a callback so files over the binding's default
 * 32 KiB string buffer parse the same way as small ones.
 */
export function parsePython(text: string): Tree {
  return getParser().parse(text, null, { bufferSize: Math.max(32 * 1024, text.length + 1) });
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
