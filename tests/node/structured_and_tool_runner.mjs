// Structured outputs and the tool runner through the official TypeScript SDK against ANTHROPIC_BASE_URL:
//   1. messages.parse() with a JSON-schema output format: prints parsed_output;
//   2. a streamed structured answer: prints each text delta, then the final parsed_output;
//   3. beta.messages.toolRunner() with a betaTool (threaded by default): prints each message, then the last.
// The last line printed is one JSON summary, read by tests/test_node_sdk.py.
//
// Usage: ANTHROPIC_BASE_URL=http://127.0.0.1:PORT node structured_and_tool_runner.mjs MODEL

import Anthropic from '@anthropic-ai/sdk';
import { jsonSchemaOutputFormat } from '@anthropic-ai/sdk/helpers/json-schema';
import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema';

const baseURL = process.env.ANTHROPIC_BASE_URL;
const model = process.argv[2];
if (!baseURL || !model) {
  console.error('usage: ANTHROPIC_BASE_URL=http://127.0.0.1:PORT node structured_and_tool_runner.mjs MODEL');
  process.exit(2);
}

// The key is a placeholder: this script only ever talks to the offline server.
const client = new Anthropic({ baseURL, apiKey: 'offline', maxRetries: 0, timeout: 30_000 });
const log = (label, value) => console.log(`${label} ${JSON.stringify(value)}`);

const order = jsonSchemaOutputFormat({
  type: 'object',
  properties: { product_name: { type: 'string' }, price: { type: 'number' }, quantity: { type: 'integer' } },
  required: ['product_name', 'price', 'quantity'],
  additionalProperties: false,
});
const prompt =
  'Extract the product name, price, and quantity from this customer message:\n' +
  '"Hi, I\'d like to order 2 packs of Green Tea for 5.50 dollars each."';

const parsed = await client.messages.parse({
  model,
  max_tokens: 1024,
  messages: [{ role: 'user', content: prompt }],
  output_config: { format: order },
});
log('parsed', parsed.parsed_output);

let structuredDeltas = 0;
const stream = client.messages.stream({
  model,
  max_tokens: 1024,
  messages: [{ role: 'user', content: prompt }],
  output_config: { format: order },
});
stream.on('text', () => {
  structuredDeltas += 1;
});
const streamed = await stream.finalMessage();
log('streamed', streamed.parsed_output);

const calls = [];
const lookupOrder = betaTool({
  name: 'lookup_order',
  description: 'Look up the shipping status of an order.',
  inputSchema: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
  run: async ({ order_id }) => {
    calls.push(order_id);
    return `Order ${order_id} shipped two days ago and arrives tomorrow.`;
  },
});
const runner = client.beta.messages.toolRunner({
  model,
  max_tokens: 1024,
  tools: [lookupOrder],
  messages: [{ role: 'user', content: 'Where is my order #4821?' }],
});
let turns = 0;
for await (const message of runner) {
  turns += 1;
  log('runner_message', message.stop_reason);
}
const final = await runner.done();
const finalText = final.content.filter((b) => b.type === 'text').map((b) => b.text).join('');

console.log(
  JSON.stringify({
    parsed: parsed.parsed_output,
    streamed: streamed.parsed_output,
    structured_deltas: structuredDeltas,
    runner_turns: turns,
    tool_calls: calls,
    runner_text: finalText,
  }),
);
