// A tool call: Claude asks for get_weather, we run it, and send the result back.
// Usage: node tool.mjs MODEL "PROMPT"

import Anthropic from "@anthropic-ai/sdk";

const [model, prompt] = process.argv.slice(2);

const tools = [
  {
    name: "get_weather",
    description: "Get the current weather in a given city",
    input_schema: {
      type: "object",
      properties: { location: { type: "string", description: "A city, e.g. Paris" } },
      required: ["location"],
    },
  },
];

// The "tool": a real one would call a weather service. Fixed answers keep the output stable.
const WEATHER = { Paris: { temperature_c: 18, conditions: "light rain" }, London: { temperature_c: 14, conditions: "overcast" } };
function getWeather({ location }) {
  return { location, ...(WEATHER[location] ?? { temperature_c: 21, conditions: "sunny" }) };
}

const client = new Anthropic();
const messages = [{ role: "user", content: prompt }];

// 1. Claude decides to call the tool; its input arrives as partial JSON.
const first = client.messages.stream({ model, max_tokens: 1024, tools, messages });
first.on("text", (delta) => process.stdout.write(delta));
first.on("contentBlock", (block) => block.type === "text" && process.stdout.write("\n"));
first.on("inputJson", (partial, snapshot) => console.log(`input_json ${JSON.stringify(partial).padEnd(16)} snapshot ${JSON.stringify(snapshot)}`));
const request = await first.finalMessage();
console.log(`stop_reason: ${request.stop_reason}`);

// 2. Run each requested tool.
const calls = request.content.filter((block) => block.type === "tool_use");
const results = calls.map((call) => {
  const result = getWeather(call.input);
  console.log(`ran ${call.name}(${JSON.stringify(call.input)}) -> ${JSON.stringify(result)}`);
  return { type: "tool_result", tool_use_id: call.id, content: JSON.stringify(result) };
});
if (calls.length === 0) process.exit(0);                   // Claude answered without the tool

// 3. Send the whole assistant turn back (thinking blocks included), then the results.
messages.push({ role: "assistant", content: request.content }, { role: "user", content: results });
const second = client.messages.stream({ model, max_tokens: 1024, tools, messages });
second.on("text", (delta) => process.stdout.write(delta));
const answer = await second.finalMessage();
console.log(`\nstop_reason: ${answer.stop_reason}`);
