// Streams one answer: each text delta as it arrives, then a summary of the final message.
// Usage: node stream.mjs MODEL "PROMPT" (the SDK reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL)

import Anthropic from "@anthropic-ai/sdk";

const [model, prompt] = process.argv.slice(2);

const client = new Anthropic();
const stream = client.messages.stream({ model, max_tokens: 1024, messages: [{ role: "user", content: prompt }] });

// 'text' fires once per text delta; process.stdout.write adds no newline.
stream.on("text", (delta) => process.stdout.write(delta));

// The message rebuilt from the events, once the stream ends (rejects if it fails: no error is lost).
const message = await stream.finalMessage();

console.log("\n");
console.log(`stop_reason:    ${message.stop_reason}`);
console.log(`content blocks: ${message.content.map((block) => block.type).join(", ")}`);
console.log(`output_tokens:  ${message.usage.output_tokens}`);
