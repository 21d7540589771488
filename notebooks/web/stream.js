// Reads the relay's server-sent events with fetch() and shows the answer as it arrives.
//
//   POST chat {"prompt": "..."}  ->  data: {"type":"text","text":"..."}   (many)
//                                    data: {"type":"error","message":"..."} (upstream failed)
//                                    data: {"type":"stop","stop_reason":"..."} (why it ended)
//                                    data: [DONE]                          (complete)
//
// [DONE] says the stream ended well; the stop reason says whether the ANSWER is complete:
// "max_tokens" cut it, "refusal" means the text so far is not an answer. Unknown event
// types are ignored, so a newer relay can add events without breaking this page.
//
// Three rules this file exists to show:
// 1. A network chunk is not an event. Chunks end anywhere — mid-line, even mid-character —
//    so bytes go through TextDecoder with {stream: true}, and text is buffered until a
//    full line (and a blank line, for a full event) has arrived.
// 2. Model output is TEXT. It is appended to a Text node, never parsed as HTML.
// 3. Stopping is aborting the fetch: the relay sees the disconnect and closes its
//    upstream stream, so no more tokens are generated.

/** Turns decoded text, fed in arbitrary pieces, into the `data` of complete SSE events. */
export class SSEParser {
  #buffer = "";
  #data = [];

  /** Feed the next piece of text; returns the data strings of the events it completed. */
  feed(text) {
    this.#buffer += text;
    const events = [];
    let newline;
    while ((newline = this.#buffer.search(/\r\n|\r|\n/)) !== -1) {
      // A "\r" at the very end may be the first half of "\r\n": wait for the next piece.
      if (this.#buffer[newline] === "\r" && newline === this.#buffer.length - 1) break;
      const width = this.#buffer.startsWith("\r\n", newline) ? 2 : 1;
      const line = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + width);
      if (line === "") {                       // a blank line ends an event
        if (this.#data.length) events.push(this.#data.join("\n"));
        this.#data = [];
      } else if (line.startsWith("data:")) {
        const value = line.slice(5);
        this.#data.push(value.startsWith(" ") ? value.slice(1) : value);
      }                                        // other fields and ":" comments: ignored
    }
    return events;
  }

  /** Text received but not yet part of a complete line (for diagnostics). */
  get pending() {
    return this.#buffer;
  }
}

/**
 * Streams one answer from the relay. Calls onText(text) for each delta and onStop(reason)
 * with the answer's stop reason, and resolves with "done" or "error" (onError(message) was
 * called), or "aborted" when `signal` fired.
 * `stats` (optional) counts network chunks, and chunks that ended mid-line.
 */
export async function streamAnswer(prompt, { signal, onText, onError, onStop = () => {}, params = "", stats = {} }) {
  stats.chunks = 0;
  stats.midLineChunks = 0;
  stats.events = 0;
  let response;
  try {
    response = await fetch(`chat${params}`, {            // relative: works behind a proxy prefix
      method: "POST",
      // jupyter-server-proxy streams a response only when the request accepts exactly
      // text/event-stream; with any other Accept header it buffers the whole answer.
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ prompt }),
      signal,
    });
  } catch (err) {
    if (err.name === "AbortError") return "aborted";
    onError(`Could not reach the relay: ${err.message}`);
    return "error";
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    } catch { /* not JSON: keep the status text */ }
    onError(`The relay answered ${response.status}: ${detail}`);
    return "error";
  }

  const reader = response.body.getReader();
  const decoder = new TextDecoder("utf-8");                // {stream: true} below keeps split characters
  const parser = new SSEParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stats.chunks += 1;
      for (const data of parser.feed(decoder.decode(value, { stream: true }))) {
        stats.events += 1;
        if (data === "[DONE]") return "done";
        const event = JSON.parse(data);
        if (event.type === "text") onText(event.text);
        else if (event.type === "stop") onStop(event.stop_reason);
        else if (event.type === "error") {
          onError(event.message);
          return "error";
        }
      }
      if (parser.pending !== "") stats.midLineChunks += 1;
    }
  } catch (err) {
    if (err.name === "AbortError") return "aborted";
    onError(`The stream broke: ${err.message}`);
    return "error";
  } finally {
    reader.releaseLock();
  }
  onError("The relay closed the stream before the answer was complete.");
  return "error";
}

// ----------------------------------------------------------------------------- the page

// Only the debug options the relay knows are forwarded from this page's own query string
// (e.g. ?chunk=3 or ?fault=error-after%3D5); the relay refuses them unless it runs with debug.
function debugParams() {
  const page = new URLSearchParams(window.location.search);
  const forward = new URLSearchParams();
  for (const key of ["fault", "delay", "chunk"]) {
    if (page.has(key)) forward.set(key, page.get(key));
  }
  const query = forward.toString();
  return query ? `?${query}` : "";
}

/** What the status line says about a complete stream, by the answer's stop reason. */
export function endedBecause(stopReason) {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
      return "Done.";
    case "max_tokens":
      return "Cut off: the answer reached the relay's max_tokens limit.";
    case "model_context_window_exceeded":
      return "Cut off: the conversation filled the model's context window.";
    case "refusal":
      return "Claude declined to continue: the text so far is not an answer.";
    default:                                                // a reason this page doesn't know:
      return `Ended (${stopReason ?? "no stop reason"}).`;  // never claim the answer is complete
  }
}

function setUp() {
  const form = document.getElementById("ask");
  const prompt = document.getElementById("prompt");
  const send = document.getElementById("send");
  const stop = document.getElementById("stop");
  const status = document.getElementById("status");
  const error = document.getElementById("error");
  const answer = document.getElementById("answer");
  const stats = {};
  let controller = null;

  const setStatus = (state, text) => {
    status.dataset.state = state;
    status.textContent = text;
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (controller) return;                                 // one stream at a time
    controller = new AbortController();
    send.disabled = true;
    stop.disabled = false;
    error.hidden = true;
    error.textContent = "";
    const text = document.createTextNode("");               // model output goes into a Text node:
    answer.replaceChildren(text);                           // never innerHTML
    setStatus("streaming", "Streaming…");
    let stopReason = null;

    const outcome = await streamAnswer(prompt.value, {
      signal: controller.signal,
      params: debugParams(),
      stats,
      onText: (delta) => text.appendData(delta),
      onStop: (reason) => { stopReason = reason; },
      onError: (message) => {
        error.textContent = message;                        // textContent: the message is text too
        error.hidden = false;
      },
    });
    const messages = {
      done: "Done.",
      error: "Stopped by an error; the text so far is kept.",
      aborted: "Stopped. The relay closed its stream to Claude.",
    };
    status.dataset.stopReason = stopReason ?? "";
    setStatus(outcome, outcome === "done" ? endedBecause(stopReason) : messages[outcome]);
    controller = null;
    send.disabled = false;
    stop.disabled = true;
  });

  stop.addEventListener("click", () => controller?.abort());

  // For the browser tests (tests/browser_relay): read-only counters of the last stream.
  window.relayStats = stats;
}

if (typeof document !== "undefined") setUp();
