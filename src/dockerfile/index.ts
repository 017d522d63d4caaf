/** Dockerfiles as BuildKit reads them: directives, the parser and its AST dump, and the shell-word lexer. Pure: no I/O. */
export * from "./directives.ts";
export * from "./heredoc.ts";
export * from "./instructions/index.ts";
export { NOT_STRING_ARRAY, parseJsonArray, parseNameVal, parseWords } from "./line-parsers.ts";
export * from "./node.ts";
export * from "./parse-error.ts";
export * from "./parser.ts";
export * from "./shell-lexer.ts";
export { extractBuilderFlags, splitCommand } from "./split-command.ts";
