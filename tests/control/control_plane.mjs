// Drives eigen-mock's control plane from Node, as a JavaScript test suite would: queue a fault,
// switch on the rate limiter, add a model, stub a prompt with a picture, ask for latency, read the
// journal and its HAR export, reset. Prints a JSON report.
// Usage: node control_plane.mjs <base url> <api key>
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

const [base, apiKey] = process.argv.slice(2);
const json = { "Content-Type": "application/json" };
const auth = { ...json, Authorization: `Bearer ${apiKey}` };
const request = { model: "eigen-image", prompt: "a red fox", seed: 7, width: 512, height: 512 };

async function call(method, path, body, headers = json) {
  const response = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}
const generate = (body = request) => call("POST", "/api/v1/generate", body, auth);

const queued = (await call("POST", "/_mock/faults", { status: 503, match: { model: "eigen-image" } })).body;
const statuses = [(await generate()).status, (await generate()).status];
await call("PUT", "/_mock/rate-limit", { limit: 1, window_seconds: 60 });
statuses.push((await generate()).status, (await generate()).status);
await call("DELETE", "/_mock/rate-limit");

const library = (await call("GET", "/_mock/models")).body;
const eigen = library.models.find((model) => model.id === "eigen-image");
library.models.push({ ...eigen, id: "node-model" });
await call("PUT", "/_mock/models", library);
const customModel = (await generate({ ...request, model: "node-model" })).status;

const square = await readFile(new URL("../../fixtures/images/square.png", import.meta.url));
const stubbed = (await call("POST", "/_mock/stubs", { match: { prompt: "a stubbed fox" }, image_base64: square.toString("base64") })).body;
const stubAnswer = (await generate({ ...request, prompt: "a stubbed fox", width: 768, output_format: "jpg" })).body;
const stubImage = Buffer.from(stubAnswer.image_base64, "base64");
const stub = {
  id: stubbed.stubs[0].id,
  size: [stubAnswer.width, stubAnswer.height],
  jpeg: stubImage.subarray(0, 2).toString("hex") === "ffd8",
  sha256: createHash("sha256").update(stubImage).digest("hex") === stubAnswer.image_sha256,
};
await call("DELETE", "/_mock/stubs");
await call("POST", "/_mock/faults?session=node-job", { status: 504 });
const inSession = (await call("POST", "/api/v1/generate", request, { ...auth, "X-Mock-Session": "node-job" })).status;
const session = {
  status: inSession,
  journal: (await call("GET", "/_mock/requests?session=node-job")).body.requests.map((entry) => [entry.status, entry.session]),
  listed: (await call("GET", "/_mock/sessions")).body.sessions.map((entry) => entry.name),
  closed: (await call("DELETE", "/_mock/sessions/node-job")).status,
};
const started = performance.now();
const slow = (await call("POST", "/api/v1/generate", request, { ...auth, "X-Mock-Latency": "250ms" })).status;
const latency = { status: slow, waited: performance.now() - started >= 250 };
const journal = (await call("GET", "/_mock/requests")).body.requests;
const har = (await call("GET", "/_mock/requests.har?bodies=true")).body.log;
const left = (await call("GET", "/_mock/faults")).body.faults.map((fault) => fault.id);
await call("POST", "/_mock/reset");
const afterReset = (await generate({ ...request, model: "node-model" })).status;
const afterJournal = (await call("GET", "/_mock/requests")).body.requests;

console.log(JSON.stringify({
  queued: queued.faults.map((fault) => fault.id),
  statuses,
  left,
  custom_model: customModel,
  after_reset: afterReset,
  journal: [...journal, ...afterJournal].map((entry) => [entry.status, entry.fault && entry.fault.id]),
  latency,
  stub,
  session,
  har: { version: har.version, statuses: har.entries.map((entry) => entry.response.status),
         inlined: har.entries.filter((entry) => entry.response.content.text !== undefined).length },
}));
