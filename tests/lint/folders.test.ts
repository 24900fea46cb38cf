// docs/architecture.md's folder table is enforced by lint: an import across folders the table does not allow fails.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers.js';

const eslint = new ESLint({ cwd: root });
const errors = async (filePath: string, code: string): Promise<string[]> =>
  (await eslint.lintText(code, { filePath })).flatMap((r) => r.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-properties').map((m) => m.message));

describe('folder import rules', () => {
  it('refuses imports the table does not allow', async () => {
    expect(await errors('src/ingest/probe.ts', "import { x } from '../ui/store.js';\nexport const y = x;\n")).toEqual([expect.stringContaining('src/ingest/ may import only src/state/')]);
    expect(await errors('src/state/probe.ts', "import { x } from '../daemon/client.js';\nexport const y = x;\n")).toHaveLength(1);
    expect(await errors('src/state/probe.ts', "export const y = Date.now();\n")).toEqual([expect.stringContaining('reads no clock')]);
    expect(await errors('src/ui/probe.ts', "import { x } from '../ingest/decode.js';\nexport const y = x;\n")).toHaveLength(1);
    expect(await errors('src/ring/probe.ts', "import { x } from '../state/model.js';\nexport const y = x;\n")).toHaveLength(1);
    expect(await errors('src/components/probe.tsx', "import { x } from '../daemon/client.js';\nexport const y = x;\n")).toHaveLength(1);
  });

  it('allows what the table allows, and the two named debts', async () => {
    expect(await errors('src/daemon/probe.ts', "import { x } from '../history/writer.js';\nimport { z } from '../protocol/events.js';\nexport const y = [x, z];\n")).toEqual([]);
    expect(await errors('src/ui/demo-timeline.ts', "import { x } from '../ingest/decode.js';\nexport const y = x;\n")).toEqual([]);
    expect(await errors('src/ui/run-ui.ts', "import { x } from '../components/App.js';\nexport const y = x;\n")).toEqual([]);
    expect(await errors('src/commands/probe.ts', "import { x } from '../ingest/decode.js';\nimport { z } from '../components/App.js';\nexport const y = [x, z];\n")).toEqual([]);
  });
});
