/** `use`: template fields first, own fields override, allow/address accumulate, several uses in order. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HOST, checkText, summary } from "./helpers.js";

const node = (src: string, name: string) => {
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), [], JSON.stringify(r.diagnostics, null, 1));
  return r.ir!.nodes.find((n) => n.name === name)!;
};

test("own fields override the template's, field by field inside a block", () => {
  const n = node(
    `${HOST}template t {
  memory { limit 1GiB  high 512MiB }
  cpu { share 3 }
}
context a { use t  id 1  memory { limit 2GiB } }
`,
    "a",
  );
  assert.is(n.memory.limit, 2 * 2 ** 30);
  assert.is(n.memory.high, 512 * 2 ** 20);
  assert.is(n.cpu.share, 3);
});

test("allow and address accumulate, the template's first; several uses apply in order", () => {
  const n = node(
    `${HOST}template base {
  net { address 10.0.0.1  allow out udp port 53  default deny }
  pids { limit 10 }
}
template more {
  net { allow out tcp port 443 }
  pids { limit 20 }
}
context a {
  id 1
  use base
  use more
  net { address 10.0.0.2  allow in tcp port 80 }
}
`,
    "a",
  );
  assert.equal(
    n.net.rules.map((r) => `${r.direction} ${r.proto} ${r.ports[0]!.from}`),
    ["out udp 53", "out tcp 443", "in tcp 80"],
  );
  assert.equal(
    n.net.addresses.map((a) => a.address),
    ["10.0.0.1", "10.0.0.2"],
  );
  assert.is(n.pids.limit, 20, "the later use wins");
  assert.is(n.net.default, "deny");
});

test("link sub-blocks merge field by field", () => {
  const n = node(
    `${HOST}template t { net { link eth0 { share 3  limit 50mbit } } }
context a { use t  id 1  net { link eth0 { limit 20mbit } } }
`,
    "a",
  );
  assert.equal(n.net.links, [
    { name: "eth0", share: 3, limit: 20_000_000, loc: { file: "main.vsc", line: 8, col: 32 } },
  ]);
});

test("templates may use templates; a mistake inside a template is reported once", () => {
  const src = `${HOST}template inner { memory { limmit 1GiB } }
template outer { use inner  pids { limit 5 } }
context a { use outer  id 1 }
context b { use outer  id 2 }
`;
  const r = checkText(src);
  assert.equal(summary(r.diagnostics), ["VSC2022@7:27"]);
});

test("a template's fields put context-only settings on a class: error names the template", () => {
  const r = checkText(`${HOST}template t { rlimit { nofile 10 } }\nclass c { use t }\n`);
  assert.equal(summary(r.diagnostics), ["VSC2031@7:14"]);
  assert.match(r.diagnostics[0]!.message, /from template "t"/);
});

test("a template with an id gives every user the same id: one duplicate-id error", () => {
  const r = checkText(`${HOST}template t { id 5 }\ncontext a { use t }\ncontext b { use t }\n`);
  assert.equal(summary(r.diagnostics), ["VSC4007@9:9"]);
});

test("use of a context or an unknown name", () => {
  const r = checkText(
    `${HOST}context x { id 1 }\ncontext a { id 2  use x  use smal }\ntemplate small { }\n`,
  );
  assert.equal(summary(r.diagnostics), ["VSC2016@8:23", "VSC2014@8:30"]);
  assert.is(r.diagnostics[1]!.help, 'did you mean "small"?');
});

test.run();
