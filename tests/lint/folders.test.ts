// docs/architecture.md's folder table is enforced by lint: an import across folders the table does not allow fails.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers.js';

const eslint = new ESLint({ cwd: root });
const errors = async (filePath: string, code: string): Promise<string[]> =>
  (await eslint.lintText(code, { filePath })).flatMap((r) => r.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-properties').map((m) => m.message));
const importing = (path: string): string => `import { x } from '${path}';\nexport const y = x;\n`;

describe('folder import rules', () => {
  it('refuses imports the table does not allow', async () => {
    expect(await errors('src/ingest/probe.ts', importing('../ui/store.js'))).toEqual([expect.stringContaining('src/ingest/ may import only src/state/')]);
    expect(await errors('src/state/probe.ts', importing('../client/daemon-client.js'))).toHaveLength(1);
    expect(await errors('src/state/probe.ts', "export const y = Date.now();\n")).toEqual([expect.stringContaining('reads no clock')]);
    expect(await errors('src/ring/probe.ts', importing('../state/model.js'))).toHaveLength(1);
    // The server and its clients meet only in protocol/: neither end imports the other.
    expect(await errors('src/daemon/probe.ts', importing('../client/daemon-client.js'))).toHaveLength(1);
    expect(await errors('src/client/probe.ts', importing('../daemon/publisher.js'))).toHaveLength(1);
    expect(await errors('src/protocol/probe.ts', importing('../client/json-lines.js'))).toHaveLength(1);
    // The UI reads a feed and knows no daemon, ingest or components (the loops the relayout removed).
    expect(await errors('src/ui/probe.ts', importing('../ingest/decode.js'))).toHaveLength(1);
    expect(await errors('src/ui/probe.ts', importing('../client/daemon-client.js'))).toHaveLength(1);
    expect(await errors('src/ui/probe.ts', importing('../components/App.js'))).toHaveLength(1);
    expect(await errors('src/ui/probe.ts', importing('../feeds/daemon-feed.js'))).toHaveLength(1);
    expect(await errors('src/ui/demo-timeline.ts', importing('../ingest/decode.js'))).toHaveLength(1);
    expect(await errors('src/ui/run-ui.ts', importing('../components/App.js'))).toHaveLength(1);
    expect(await errors('src/feeds/probe.ts', importing('../components/App.js'))).toHaveLength(1);
    expect(await errors('src/components/probe.tsx', importing('../client/daemon-client.js'))).toHaveLength(1);
    expect(await errors('src/components/probe.tsx', importing('../feeds/daemon-feed.js'))).toHaveLength(1);
    expect(await errors('src/remote/probe.ts', importing('../daemon/publisher.js'))).toHaveLength(1);
    expect(await errors('src/ui/probe.ts', importing('../addon/native.js'))).toHaveLength(1);
    expect(await errors('src/addon/probe.ts', importing('../state/model.js'))).toHaveLength(1);
  });

  it('allows what the table allows', async () => {
    expect(await errors('src/daemon/probe.ts', "import { x } from '../history/writer.js';\nimport { z } from '../protocol/events.js';\nexport const y = [x, z];\n")).toEqual([]);
    expect(await errors('src/client/probe.ts', importing('../protocol/control.js'))).toEqual([]);
    expect(await errors('src/ring/probe.ts', importing('../addon/native.js'))).toEqual([]);
    expect(await errors('src/remote/probe.ts', importing('../client/daemon-client.js'))).toEqual([]);
    expect(await errors('src/feeds/demo-timeline.ts', importing('../ingest/decode.js'))).toEqual([]);
    expect(await errors('src/feeds/probe.ts', "import { x } from '../client/daemon-client.js';\nimport { z } from '../ui/feed.js';\nexport const y = [x, z];\n")).toEqual([]);
    expect(await errors('src/components/probe.tsx', importing('../ui/feed.js'))).toEqual([]);
    expect(await errors('src/commands/probe.ts', "import { x } from '../ingest/decode.js';\nimport { z } from '../components/App.js';\nexport const y = [x, z];\n")).toEqual([]);
  });
});
