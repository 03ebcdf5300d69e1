// Validates a HAR file against the HAR 1.2 schema with npm's har-validator, as a HAR consumer would.
// Usage: node har_validate.mjs <file.har>. Prints {"valid": true, "entries": N} or the schema errors.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const validate = require("har-validator");
const har = JSON.parse(await readFile(process.argv[2], "utf8"));
try {
  await validate.har(har);
  console.log(JSON.stringify({ valid: true, entries: har.log.entries.length }));
} catch (error) {
  console.log(JSON.stringify({ valid: false, errors: error.errors ?? String(error) }));
}
