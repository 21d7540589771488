// Streams two requests through the official TypeScript SDK against ANTHROPIC_BASE_URL:
//   1. a plain text answer: prints each text delta as it arrives, then finalMessage();
//   2. a get_weather tool call: prints each inputJson event, then the final tool_use block;
// then reads the Models API: every model via models.list() auto-pagination (pages of 5),
// and models.retrieve(MODEL) (an alias resolves to the model's id).
// The last line printed is one JSON summary, read by tests/test_node_sdk.py.
//
// Usage: ANTHROPIC_BASE_URL=http://127.0.0.1:PORT node stream_text_and_tool.mjs MODEL

import Anthropic from '@anthropic-ai/sdk';

const baseURL = process.env.ANTHROPIC_BASE_URL;
const model = process.argv[2];
if (!baseURL || !model) {
  console.error('usage: ANTHROPIC_BASE_URL=http://127.0.0.1:PORT node stream_text_and_tool.mjs MODEL');
  process.exit(2);
}

// The key is a placeholder: this script only ever talks to the offline server.
const client = new Anthropic({ baseURL, apiKey: 'offline', maxRetries: 0, timeout: 30_000 });

const log = (label, value) => console.log(`${label} ${JSON.stringify(value)}`);

async function streamText() {
  let textEvents = 0;
  const stream = client.messages.stream({
    model,
    max_tokens: 256,
    messages: [{ role: 'user', content: 'Say hello in one short sentence.' }],
  });
  stream.on('text', (delta) => {
    textEvents += 1;
    log('text', delta);
  });
  const message = await stream.finalMessage();
  log('final_message', message);
  const text = message.content
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');
  return { text, stopReason: message.stop_reason, textEvents };
}

async function streamTool() {
  let inputJsonEvents = 0;
  const stream = client.messages.stream({
    model,
    max_tokens: 256,
    tools: [
      {
        name: 'get_weather',
        description: 'Get the current weather in a given location',
        input_schema: {
          type: 'object',
          properties: { location: { type: 'string' } },
          required: ['location'],
        },
      },
    ],
    messages: [{ role: 'user', content: "What's the weather in Paris?" }],
  });
  stream.on('inputJson', (partialJson, snapshot) => {
    inputJsonEvents += 1;
    log('input_json', { partial_json: partialJson, snapshot });
  });
  const message = await stream.finalMessage();
  const toolUse = message.content.find((block) => block.type === 'tool_use');
  log('tool_use', toolUse ?? null);
  return {
    toolName: toolUse?.name ?? null,
    toolInput: toolUse?.input ?? null,
    stopReason: message.stop_reason,
    inputJsonEvents,
  };
}

async function readModels() {
  const ids = [];
  for await (const info of client.models.list({ limit: 5 })) {
    ids.push(info.id);
  }
  const retrieved = await client.models.retrieve(model);
  log('model_info', retrieved);
  return { ids, retrieved };
}

const text = await streamText();
const tool = await streamTool();
const models = await readModels();
console.log(
  JSON.stringify({
    text: text.text,
    text_stop_reason: text.stopReason,
    tool_name: tool.toolName,
    tool_input: tool.toolInput,
    tool_stop_reason: tool.stopReason,
    input_json_events: tool.inputJsonEvents,
    text_events: text.textEvents,
    model_ids: models.ids,
    retrieved_id: models.retrieved.id,
    retrieved_max_tokens: models.retrieved.max_tokens,
  }),
);
