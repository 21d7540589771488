// Fine-grained tool streaming and citations through the official TypeScript SDK against ANTHROPIC_BASE_URL:
//   1. a make_file call cut by max_tokens, with and without eager_input_streaming: the raw partial JSON
//      (the inputJson events) and the input the SDK's MessageStream rebuilds from it;
//   2. a plain-text document with citations enabled: messages.create() and the streamed finalMessage(),
//      and the 'citation' events.
// The last line printed is one JSON summary, read by tests/test_node_sdk.py.
//
// Usage: ANTHROPIC_BASE_URL=http://127.0.0.1:PORT node eager_and_citations.mjs MODEL

import Anthropic from '@anthropic-ai/sdk';

const baseURL = process.env.ANTHROPIC_BASE_URL;
const model = process.argv[2];
if (!baseURL || !model) {
  console.error('usage: ANTHROPIC_BASE_URL=http://127.0.0.1:PORT node eager_and_citations.mjs MODEL');
  process.exit(2);
}

// The key is a placeholder: this script only ever talks to the offline server.
const client = new Anthropic({ baseURL, apiKey: 'offline', maxRetries: 0, timeout: 30_000 });

const makeFile = {
  name: 'make_file',
  description: 'Write text to a file',
  input_schema: {
    type: 'object',
    properties: { path: { type: 'string' }, copies: { type: 'integer' }, text: { type: 'string' } },
    required: ['path', 'copies', 'text'],
  },
};
const poem = 'Roses are red, violets are blue, tokens arrive fast and so do you';
const cut = {};
for (const eager of [false, true]) {
  const stream = client.messages.stream({
    model,
    max_tokens: 22, // cuts the call inside the poem
    tools: [{ ...makeFile, eager_input_streaming: eager }],
    tool_choice: { type: 'any' },
    messages: [{ role: 'user', content: `Use make_file to write '${poem}' to /tmp/poem.txt, 12345 copies` }],
  });
  let raw = '';
  let chunks = 0;
  stream.on('inputJson', (partial) => {
    raw += partial;
    if (partial) chunks += 1;
  });
  const message = await stream.finalMessage();
  cut[eager ? 'eager' : 'buffered'] = { raw, chunks, stop_reason: message.stop_reason, input: message.content.at(-1).input };
}

const request = {
  model,
  max_tokens: 1024,
  messages: [
    {
      role: 'user',
      content: [
        {
          type: 'document',
          source: { type: 'text', media_type: 'text/plain', data: 'The grass is green. The sky is blue.' },
          title: 'My Document',
          citations: { enabled: true },
        },
        { type: 'text', text: 'What color is the grass and sky?' },
      ],
    },
  ],
};
const created = await client.messages.create(request);
const stream = client.messages.stream(request);
const citationEvents = [];
stream.on('citation', (citation) => citationEvents.push(citation));
const streamed = await stream.finalMessage();

console.log(
  JSON.stringify({ cut, created: created.content, streamed: streamed.content, citation_events: citationEvents }),
);
