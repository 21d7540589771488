// Streams one answer and survives failures. Before the answer starts, the SDK retries by itself
// (429, 529, 5xx, connection errors: `maxRetries`). Once text has streamed, a failure rejects
// `finalMessage()`: we keep what was shown, ask the model to CONTINUE with the user message
// Anthropic's streaming guide documents (Claude 4.6+ refuse a prefill), and trim what it repeats.
//
// Usage: node resume.mjs MODEL "PROMPT" [FAULT_FOR_ATTEMPT_1 ...]
// A fault is an x-offline-fault spec for the offline server ("drop-after=5", "continue=repeat");
// "-" means none. Against the real API pass none.

import Anthropic, { APIConnectionError, APIError, APIUserAbortError } from "@anthropic-ai/sdk";

const [model, prompt, ...faults] = process.argv.slice(2);
const client = new Anthropic({ maxRetries: 2 });           // the default, shown
const question = [{ role: "user", content: prompt }];
const MAX_ATTEMPTS = 4;
const HOLD = 40;                                            // characters held back at a seam

/** The request that continues `shown`: the partial answer, then the documented user message. */
function continuation(shown) {
  const tail = shown.trimEnd().slice(-200);
  return [...question, { role: "assistant", content: shown.trimEnd() },
    { role: "user", content: `Your previous response was interrupted and ended with [${tail}]. Continue from where you left off.` }];
}

/** How many characters at the start of `reply` repeat the end of `shown` (at least 4, any case). */
function overlap(shown, reply) {
  const end = shown.toLowerCase(), start = reply.toLowerCase();
  for (let k = Math.min(end.length, start.length); k >= 4; k--) if (end.endsWith(start.slice(0, k))) return k;
  return 0;
}

/** What went wrong, without the request id (it differs on every run). */
function describe(err) {
  if (err instanceof APIError && err.status !== undefined) return `${err.constructor.name} ${err.status} ${err.error?.error?.type ?? ""}`;
  if (err instanceof APIError && err.error) return `APIError (an error event): ${err.error?.error?.type ?? err.error?.type}`;
  // a dropped connection: "Connection error." says little; its `cause` says what broke (Node: TypeError: terminated)
  if (err instanceof APIConnectionError && err.cause) return `${err.constructor.name} (${err.cause.name}: ${err.cause.message})`;
  return `${err.constructor.name}: ${err.message}`;
}

/** Worth resuming: a dropped connection, or an overloaded/api_error event. Since SDK 1.17 a
 *  connection that drops mid-stream is an APIConnectionError whose `cause` is fetch's own error
 *  (src/internal/shims.ts `iterBody`; before, a plain AnthropicError "terminated"). */
function resumable(err) {
  if (err instanceof APIUserAbortError) return false;
  if (err instanceof APIConnectionError) return true;
  if (err instanceof APIError && err.status === undefined) {  // an SSE `error` event: no HTTP status
    return ["overloaded_error", "api_error"].includes(err.error?.error?.type ?? err.error?.type);
  }
  return false;
}

let shown = "";
for (let attempt = 1; ; attempt++) {
  const fault = faults[attempt - 1];
  const headers = fault && fault !== "-" ? { "x-offline-fault": `${fault}; id=${process.pid}-${attempt}` } : {};
  const stream = client.messages.stream({ model, max_tokens: 1024, messages: shown ? continuation(shown) : question }, { headers });
  let held = shown ? "" : null;                             // a continuation's start, until the seam is decided
  const emit = (text) => { process.stdout.write(text); shown += text; };
  const release = () => {
    const k = overlap(shown, held);
    let rest = held.slice(k);
    if (k === 0 && /\w$/.test(shown) && /^\w/.test(rest)) rest = " " + rest;  // a dropped space
    if (k) process.stdout.write(`[the continuation repeated ${k} characters: trimmed]`);
    held = null;
    emit(rest);
  };
  stream.on("text", (delta) => {
    if (held === null) return emit(delta);
    held += delta;
    if (held.length >= HOLD) release();
  });
  try {
    const message = await stream.finalMessage();
    if (held !== null) release();
    console.log(`\n\nstop_reason: ${message.stop_reason} | attempts: ${attempt}`);
    break;
  } catch (err) {
    if (!resumable(err) || attempt === MAX_ATTEMPTS) {
      console.log(`\n\ngave up after ${attempt} attempt(s), ${shown.length} characters shown: ${describe(err)}`);
      process.exitCode = 1;                                 // never pass partial text off as an answer
      break;
    }
    held = null;                                            // a broken continuation's held text was never shown
    process.stdout.write(`[attempt ${attempt} failed: ${describe(err)}; continuing]`);
  }
}
