// Drives eigen-mock's control plane from Node, as a JavaScript test suite would: queue a fault,
// switch on the rate limiter, add a model, read the journal, reset. Prints a JSON report.
// Usage: node control_plane.mjs <base url> <api key>
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

const journal = (await call("GET", "/_mock/requests")).body.requests;
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
}));
