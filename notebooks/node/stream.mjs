// Streams one answer with the official Node.js SDK: each text delta as it arrives, then a
// summary of the final message. The Node.js twin of the Python SDK's
// `with client.messages.stream(...) as stream: for text in stream.text_stream: ...`.
//
// Usage: node stream.mjs MODEL "PROMPT"
// The SDK reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL from the environment (the notebook
// points them at the offline server, or passes your real key through untouched).
// Output is deterministic for a deterministic server: no timings, no ids.

import Anthropic from "@anthropic-ai/sdk";

const [model, prompt] = process.argv.slice(2);
if (!model || !prompt) {
  console.error('usage: node stream.mjs MODEL "PROMPT"');
  process.exit(2);
}

const client = new Anthropic();

const stream = client.messages.stream({
  model,
  max_tokens: 1024,
  messages: [{ role: "user", content: prompt }],
});

// 'text' fires once per text delta; process.stdout.write adds no newline.
stream.on("text", (delta) => process.stdout.write(delta));

// finalMessage() resolves when the stream ends, with the message rebuilt from the events
// (and rejects if the stream fails, so errors are not lost).
const message = await stream.finalMessage();

console.log("\n");
console.log(`stop_reason:    ${message.stop_reason}`);
console.log(`content blocks: ${message.content.map((block) => block.type).join(", ")}`);
console.log(`output_tokens:  ${message.usage.output_tokens}`);
