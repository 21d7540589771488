// Prints every event of one stream, one line each, from `for await (const event of stream)`:
// the events exactly as the Messages API sent them (the notebook lines them up with Python's).
//
// Usage: node events.mjs MODEL "PROMPT"

import Anthropic from "@anthropic-ai/sdk";

const [model, prompt] = process.argv.slice(2);

/** One line per event: its type and the part that matters (no ids, no signatures). */
function describe(event) {
  switch (event.type) {
    case "content_block_start":
      return `${event.type} ${event.content_block.type}`;
    case "content_block_delta": {
      const { delta } = event;
      if (delta.type === "text_delta") return `${event.type} ${delta.type} ${JSON.stringify(delta.text)}`;
      if (delta.type === "input_json_delta") return `${event.type} ${delta.type} ${JSON.stringify(delta.partial_json)}`;
      if (delta.type === "thinking_delta") return `${event.type} ${delta.type} ${JSON.stringify(delta.thinking)}`;
      return `${event.type} ${delta.type}`; // signature_delta: opaque, not worth printing
    }
    case "message_delta":
      return `${event.type} stop_reason=${event.delta.stop_reason}`;
    default:
      return event.type;
  }
}

const client = new Anthropic();
const stream = client.messages.stream({
  model,
  max_tokens: 1024,
  messages: [{ role: "user", content: prompt }],
});

for await (const event of stream) {
  console.log(describe(event));
}
const message = await stream.finalMessage(); // already complete: resolves at once
const text = message.content.filter((block) => block.type === "text").map((block) => block.text).join("");
console.log(`final text ${JSON.stringify(text)}`);
