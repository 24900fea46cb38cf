// Every view rendered from the state of the real demo capture (3 s into the recorded run), asserting exact frames.
process.env.TZ = 'UTC';
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import App from '../../src/components/App.js';
import type { Controller, SignalRequest } from '../../src/ui/feed.js';
import { recordingController } from '../../src/ui/feed.js';
import { createStore } from '../../src/ui/store.js';
import { settled, stateAt } from '../ui/helpers.js';

afterEach(() => cleanup());

function mount(ms: number, controller: Controller = recordingController('demo'), size = { columns: 100, rows: 30 }) {
  const store = createStore({ frameMs: 0, state: stateAt(ms), status: { kind: 'demo', detail: 'recorded real build' } });
  const quits: number[] = [];
  const copies: string[] = [];
  const app = render(<App store={store} controller={controller} size={size} onQuit={() => quits.push(1)} onCopy={(t) => copies.push(t)} />);
  const press = async (...keys: string[]): Promise<string> => {
    for (const k of keys) { const before = app.frames.length; app.stdin.write(k); await settled(app, before); }
    return app.lastFrame() ?? '';
  };
  return { app, store, quits, copies, press };
}

describe('App on the real demo capture', () => {
  it('shows the Process view: the Nix forest as a tree', async () => {
    const { press } = mount(3000);
    expect(await press()).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  tree · Nix processes
          PID▲ USER      CPU%   MEM   TIME S DRV            COMMAND                                   1/11
      ›  15810 root       0.2   22M   7.0s ?                /usr/bin/nix-daemon
         16146 root       1.5   17M   2.0s ?                └─ /usr/bin/nix-daemon
         16247 nixbld3    0.0  1.7M   2.0s ? gdbm-1.23         ├─ sh -c set -e echo "@nix {\\"action\\":\\"s…
         16558 nixbld3    0.0  1.5M   0.0s ? gdbm-1.23         │  └─ timeout 1 yes
         16559 nixbld3   48.8  1.4M   0.0s ? gdbm-1.23         │     └─ yes
         16259 nixbld4   43.1  1.7M   2.0s ? libffi-3.4.6      ├─ sh -c set -e echo "@nix {\\"action\\":\\"s…
         16527 nixbld2   47.9  1.7M   0.0s ? libuuid-2.39.3    ├─ sh -c set -e echo "@nix {\\"action\\":\\"s…
         16532 nixbld1    0.0  1.7M   0.0s ? mpdecimal-2.5…    └─ sh -c set -e echo "@nix {\\"action\\":\\"s…
         16535 nixbld1    0.0  1.5M   0.0s ? mpdecimal-2.5…       └─ timeout 1 yes
         16536 nixbld1   48.9  1.4M   0.0s ? mpdecimal-2.5…          └─ yes
         16115 root       1.1   24M   2.0s ?                nix-build dag.nix --argstr nonce dr-179554612…











      recorded real build
      q quit  ? help  s sort  t tree  a all  f follow  K kill  z freeze  p pause  / filter"
    `);
  });

  it('shows the Builder view and expands a builder', async () => {
    const { press } = mount(3000);
    expect(await press('2')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  builders
       SLOT▲    DERIVATION       PHASE        ELAPSED PROCS  CPU%   MEM LAST LOG LINE                  1/4
      ›nixbld1  mpdecimal-2.5.1  buildPhase      1.1s     3  48.9  4.5M   CC       src/mpdecimal_2.o
       nixbld2  libuuid-2.39.3   buildPhase      1.1s     1  47.9  1.7M   CC       src/libuuid_14.o
       nixbld3  gdbm-1.23        buildPhase      2.7s     3  48.8  4.6M warning: this is a fake warning f…
       nixbld4  libffi-3.4.6     buildPhase      2.7s     1  43.1  1.7M   CC       src/libffi_25.o


















      recorded real build
      q quit  ? help  s sort  Enter expand  K kill  z freeze  p pause  / filter"
    `);
    expect(await press('\r')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  builders
       SLOT▲    DERIVATION       PHASE        ELAPSED PROCS  CPU%   MEM LAST LOG LINE                  1/7
      ›nixbld1  mpdecimal-2.5.1  buildPhase      1.1s     3  48.9  4.5M   CC       src/mpdecimal_2.o
                  16532          ?                            0.0  1.7M sh -c set -e echo "@nix {\\"action…
                  16535          ?                            0.0  1.5M timeout 1 yes
                  16536          ?                           48.9  1.4M yes
       nixbld2  libuuid-2.39.3   buildPhase      1.1s     1  47.9  1.7M   CC       src/libuuid_14.o
       nixbld3  gdbm-1.23        buildPhase      2.7s     3  48.8  4.6M warning: this is a fake warning f…
       nixbld4  libffi-3.4.6     buildPhase      2.7s     1  43.1  1.7M   CC       src/libffi_25.o















      recorded real build
      q quit  ? help  s sort  Enter expand  K kill  z freeze  p pause  / filter"
    `);
  });

  it('shows the Eagle Eye view and cycles its modes', async () => {
    const { press } = mount(3000);
    expect(await press('3')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  whole tree
       TARGET                                                     STATUS      PHASE          ELAPSED  1/17
      ›▾ 16115 root nix-build dag.nix --argstr nonce dr-17955461… running     2/16 ✔            3.0s
         ▾ ⏸ my-dev-env-1.0  (dependencies unknown)               planned                          -
             ⏵ gdbm-1.23                                          running     buildPhase        2.7s
             ⏸ xz-5.4.6                                           planned                          -
             ✔ bzip2-1.0.8                                        built       fixupPhase        1.6s
             ⏸ zlib-1.3.1                                         planned                          -
             ⏵ mpdecimal-2.5.1                                    running     buildPhase        1.1s
             ⏵ libuuid-2.39.3                                     running     buildPhase        1.1s
             ✔ expat-2.6.2                                        built       fixupPhase        1.6s
             ⏸ git-2.44.0                                         planned                          -
             ⏸ ncurses-6.4                                        planned                          -
             ⏸ openssl-3.0.13                                     planned                          -
             ⏵ libffi-3.4.6                                       running     buildPhase        2.7s
             ⏸ sqlite-3.45.1                                      planned                          -
             ⏸ perl-5.38.2                                        planned                          -
             ⏸ readline-8.2p10                                    planned                          -
             ⏸ python3-minimal-3.11.9                             planned                          -





      recorded real build
      q quit  ? help  Enter expand  m mode  w widget  y copy  p pause  / filter"
    `);
    expect(await press('m')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  only active paths
       TARGET                                                       STATUS      PHASE          ELAPSED 1/6
      ›▾ 16115 root nix-build dag.nix --argstr nonce dr-1795546126… running     2/16 ✔            3.0s
         ▾ ⏸ my-dev-env-1.0  (dependencies unknown)                 planned                          -
             ⏵ gdbm-1.23                                            running     buildPhase        2.7s
             ⏵ mpdecimal-2.5.1                                      running     buildPhase        1.1s
             ⏵ libuuid-2.39.3                                       running     buildPhase        1.1s
             ⏵ libffi-3.4.6                                         running     buildPhase        2.7s
















      recorded real build
      q quit  ? help  Enter expand  m mode  w widget  y copy  p pause  / filter"
    `);
  });

  it('shows the Jobs view and its detail pane', async () => {
    const { press } = mount(3000);
    expect(await press('4')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  jobs
           PID USER   STATUS      PHASE         STARTED▲   TIME WHAT                                  1/17
      ›  16115 root   running     2/16 ✔        18:48:46   3.0s nix-build dag.nix --argstr nonce dr-17955…
                      running     buildPhase    18:48:46   2.7s   ⏵ gdbm-1.23
                      planned                   -             -   ⏸ xz-5.4.6
                      built       fixupPhase    18:48:46   1.6s   ✔ bzip2-1.0.8
                      planned                   -             -   ⏸ zlib-1.3.1
                      running     buildPhase    18:48:48   1.1s   ⏵ mpdecimal-2.5.1
                      running     buildPhase    18:48:48   1.1s   ⏵ libuuid-2.39.3
                      built       fixupPhase    18:48:46   1.6s   ✔ expat-2.6.2
                      planned                   -             -   ⏸ git-2.44.0
                      planned                   -             -   ⏸ ncurses-6.4
                      planned                   -             -   ⏸ openssl-3.0.13
                      running     buildPhase    18:48:46   2.7s   ⏵ libffi-3.4.6
                      planned                   -             -   ⏸ sqlite-3.45.1
                      planned                   -             -   ⏸ perl-5.38.2
                      planned                   -             -   ⏸ readline-8.2p10
                      planned                   -             -   ⏸ python3-minimal-3.11.9
                      planned                   -             -   ⏸ my-dev-env-1.0





      recorded real build
      q quit  ? help  s sort  y copy  Enter detail  K kill  z freeze  p pause  / filter"
    `);
    expect(await press('j', 'j', '\r')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  jobs
           PID USER   STATUS      PHASE         STARTED▲   TIME WHAT                                  3/17
         16115 root   running     2/16 ✔        18:48:46   3.0s nix-build dag.nix --argstr nonce dr-17955…
                      running     buildPhase    18:48:46   2.7s   ⏵ gdbm-1.23
      ›               planned                   -             -   ⏸ xz-5.4.6
                      built       fixupPhase    18:48:46   1.6s   ✔ bzip2-1.0.8
                      planned                   -             -   ⏸ zlib-1.3.1
                      running     buildPhase    18:48:48   1.1s   ⏵ mpdecimal-2.5.1
                      running     buildPhase    18:48:48   1.1s   ⏵ libuuid-2.39.3
                      built       fixupPhase    18:48:46   1.6s   ✔ expat-2.6.2
                      planned                   -             -   ⏸ git-2.44.0
                      planned                   -             -   ⏸ ncurses-6.4
                      planned                   -             -   ⏸ openssl-3.0.13
      ┌──────────────────────────────────────────────────────────────────────────────────────────────────┐
      │ xz-5.4.6  planned                                                                                │
      │ /nix/store/1qy7kw6x0cfw5jkfl93z3m0668l8hawk-xz-5.4.6.drv                                         │
      │ log: no lines yet                                                                                │
      │                                                                                                  │
      │                                                                                                  │
      │                                                                                                  │
      │                                                                                                  │
      │                                                                                                  │
      │                                                                                                  │
      └──────────────────────────────────────────────────────────────────────────────────────────────────┘
      recorded real build
      q quit  ? help  s sort  y copy  Enter detail  K kill  z freeze  p pause  / filter"
    `);
  });

  it('opens the manual with ?, F1 and M and scrolls it', async () => {
    const { press } = mount(3000);
    expect(await press('?')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  tree · Nix processes
      ╭──────────────────────────────────────────────────────────────────────────────────────────────────╮
      │ Manual  (↑↓ PgUp PgDn scroll · Esc close)                                                  20/62 │
      │ nix-btm: htop for Nix. Every Nix build on this machine, live.                                    │
      │                                                                                                  │
      │ Views                                                                                            │
      │   1 Process    the Nix process forest: daemon, workers, clients, builders and their children     │
      │   2 Builder    one row per active builder: derivation, phase, elapsed, processes, CPU, memory, … │
      │   3 Eagle Eye  every target of every client as a tree of derivations with their status           │
      │   4 Jobs       every job (a client's request) and every build and transfer in it                 │
      │   5 History    past jobs from the build history, their derivations, and analytics                │
      │                                                                                                  │
      │ Keys                                                                                             │
      │   q C-c          quit (the terminal is restored)                                                 │
      │   ? F1 M         open this manual                                                                │
      │   Tab            next view                                                                       │
      │   S-Tab          previous view                                                                   │
      │   1              Process view                                                                    │
      │   2              Builder view                                                                    │
      │   3              Eagle Eye view                                                                  │
      │   4              Jobs view                                                                       │
      │   5              History view                                                                    │
      │   p              pause the display (collection goes on); again to resume                         │
      ╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
      recorded real build
      Esc close  ↑↓ PgUp PgDn scroll"
    `);
    expect(await press('\x1b')).toContain('1 Process');
    expect(await press('\x1bOP')).toContain('Manual');
    expect(await press('\x1b', 'M', '\x1b[6~')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  tree · Nix processes
      ╭──────────────────────────────────────────────────────────────────────────────────────────────────╮
      │ Manual  (↑↓ PgUp PgDn scroll · Esc close)                                                  41/62 │
      │   j ↓            move down (lists)                                                               │
      │   PgUp           one page up (lists)                                                             │
      │   PgDn           one page down (lists)                                                           │
      │   Home g         first row (lists)                                                               │
      │   End G          last row (lists)                                                                │
      │   /              filter rows by text (Enter keeps it, Esc clears it) (lists)                     │
      │   s              sort by the next column (Process, Builder, Jobs, History)                       │
      │   r              reverse the sort order (Process, Builder, Jobs, History)                        │
      │   t              tree or flat list (Process)                                                     │
      │   a              Nix processes only, or all processes (Process)                                  │
      │   f              follow the selected process (again to stop) (Process)                           │
      │   Enter Space    expand or collapse the selected row (Builder, Eagle Eye)                        │
      │   → +            expand (Builder, Eagle Eye)                                                     │
      │   ← -            collapse (Builder, Eagle Eye)                                                   │
      │   m              whole tree / only active paths / flat list of active builds (Eagle Eye)         │
      │   m              past jobs / analytics (slowest, rebuilt, failure rates, time per day, cache hi… │
      │   w              show or hide the selected job's build as \`nix-btm run\` draws it (Eagle Eye)     │
      │   y              copy the store path to the clipboard (OSC 52) (Eagle Eye, Jobs)                 │
      │   Enter          open or close the detail pane: log tail, environment (Jobs)                     │
      │   Enter          show the job's derivations (Esc goes back) (History)                            │
      ╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
      recorded real build
      Esc close  ↑↓ PgUp PgDn scroll"
    `);
  });

  it('sorts, filters, toggles the tree and all processes', async () => {
    const { press } = mount(3000);
    expect(await press('t', 's', 's', 'r')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  list · Nix processes
           PID USER     CPU%▼   MEM   TIME S DRV            COMMAND                                   1/11
      ›  16536 nixbld1   48.9  1.4M   0.0s ? mpdecimal-2.5… yes
         16559 nixbld3   48.8  1.4M   0.0s ? gdbm-1.23      yes
         16527 nixbld2   47.9  1.7M   0.0s ? libuuid-2.39.3 sh -c set -e echo "@nix {\\"action\\":\\"setPhas…
         16259 nixbld4   43.1  1.7M   2.0s ? libffi-3.4.6   sh -c set -e echo "@nix {\\"action\\":\\"setPhas…
         16146 root       1.5   17M   2.0s ?                /usr/bin/nix-daemon
         16115 root       1.1   24M   2.0s ?                nix-build dag.nix --argstr nonce dr-179554612…
         15810 root       0.2   22M   7.0s ?                /usr/bin/nix-daemon
         16247 nixbld3    0.0  1.7M   2.0s ? gdbm-1.23      sh -c set -e echo "@nix {\\"action\\":\\"setPhas…
         16558 nixbld3    0.0  1.5M   0.0s ? gdbm-1.23      timeout 1 yes
         16532 nixbld1    0.0  1.7M   0.0s ? mpdecimal-2.5… sh -c set -e echo "@nix {\\"action\\":\\"setPhas…
         16535 nixbld1    0.0  1.5M   0.0s ? mpdecimal-2.5… timeout 1 yes











      recorded real build
      q quit  ? help  s sort  t tree  a all  f follow  K kill  z freeze  p pause  / filter"
    `);
    expect(await press('/', 'y', 'e', 's', '\r')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  list · Nix processes · filter "yes"
           PID USER     CPU%▼   MEM   TIME S DRV            COMMAND                                    1/4
      ›  16536 nixbld1   48.9  1.4M   0.0s ? mpdecimal-2.5… yes
         16559 nixbld3   48.8  1.4M   0.0s ? gdbm-1.23      yes
         16558 nixbld3    0.0  1.5M   0.0s ? gdbm-1.23      timeout 1 yes
         16535 nixbld1    0.0  1.5M   0.0s ? mpdecimal-2.5… timeout 1 yes


















      recorded real build
      q quit  ? help  s sort  t tree  a all  f follow  K kill  z freeze  p pause  / filter"
    `);
    expect(await press('/', '\x1b', 'a')).toContain('all processes');
  });

  it('asks before signalling, names the target and shows the refusal', async () => {
    const sent: SignalRequest[] = [];
    const controller: Controller = { signal: async (r) => { sent.push(r); return { ok: false, reason: 'demo: these processes are a recording; nothing is signalled' }; } };
    const { press } = mount(3000, controller);
    expect(await press('2', 'K')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  builders
       SLOT▲    DERIVATION       PHASE        ELAPSED PROCS  CPU%   MEM LAST LOG LINE                  1/4
      ›nixbld1  mpdecimal-2.5.1  buildPhase      1.1s     3  48.9  4.5M   CC       src/mpdecimal_2.o
       nixbld2  libuuid-2.39.3   buildPhase      1.1s     1  47.9  1.7M   CC       src/libuuid_14.o
       nixbld3  gdbm-1.23        buildPhase      2.7s     3  48.8  4.6M warning: this is a fake warning f…
       nixbld4  libffi-3.4.6     buildPhase      2.7s     1  43.1  1.7M   CC       src/libffi_25.o













      ╔══════════════════════════════════════════════════════════════════════════════════════════════════╗
      ║ Signal:  TERM  KILL  INT  HUP  STOP  CONT   ↑↓                                                   ║
      ║ Target:  process  build   ←→ · Enter next · Esc cancel                                           ║
      ║                                                                                                  ║
      ╚══════════════════════════════════════════════════════════════════════════════════════════════════╝
      recorded real build
      Esc cancel"
    `);
    expect(await press('j', '\r')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  builders
       SLOT▲    DERIVATION       PHASE        ELAPSED PROCS  CPU%   MEM LAST LOG LINE                  1/4
      ›nixbld1  mpdecimal-2.5.1  buildPhase      1.1s     3  48.9  4.5M   CC       src/mpdecimal_2.o
       nixbld2  libuuid-2.39.3   buildPhase      1.1s     1  47.9  1.7M   CC       src/libuuid_14.o
       nixbld3  gdbm-1.23        buildPhase      2.7s     3  48.8  4.6M warning: this is a fake warning f…
       nixbld4  libffi-3.4.6     buildPhase      2.7s     1  43.1  1.7M   CC       src/libffi_25.o













      ╔══════════════════════════════════════════════════════════════════════════════════════════════════╗
      ║ Send KILL to the whole build: mpdecimal-2.5.1 (process group 16532)?                             ║
      ║ y send · n cancel                                                                                ║
      ║                                                                                                  ║
      ╚══════════════════════════════════════════════════════════════════════════════════════════════════╝
      recorded real build
      Esc cancel"
    `);
    expect(sent).toEqual([]);
    const frame = await press('y');
    expect(sent).toEqual([{ target: 'build', pid: 16532, startedAt: sent[0]?.startedAt, signal: 'KILL' }]);
    expect(frame).toContain('refused: demo: these processes are a recording; nothing is signalled (KILL to mpdecimal-2.5.1');
  });

  it('freezes a build with z, cancels with n, copies with y and quits with q', async () => {
    const sent: SignalRequest[] = [];
    const { press, quits, copies } = mount(3000, { signal: async (r) => { sent.push(r); return { ok: true }; } });
    expect(await press('2', 'z')).toContain('Send STOP to the whole build: mpdecimal-2.5.1 (process group 16532)?');
    expect(await press('n')).toContain('cancelled: nothing was signalled');
    expect(await press('z', 'y')).toContain('sent STOP to mpdecimal-2.5.1 (process group 16532)');
    expect(await press('z')).toContain('Send CONT to the whole build');
    await press('\x1b', '3', 'j', 'y');
    expect(copies).toEqual(['/nix/store/i9s9dxd0kb6493qz2sksispz8bc7n696-my-dev-env-1.0.drv']);
    await press('q');
    expect(quits).toEqual([1]);
  });

  it('says when a filter matches nothing, in every view', async () => {
    for (const view of ['1', '2', '3', '4']) {
      const { press, app } = mount(3000);
      expect(await press(view, '/', 'x', 'y', 'z')).toContain('nothing matches "xyz" (Esc clears the filter)');
      expect(await press('\r')).toContain('nothing matches "xyz" (/ to change, / Esc to clear)');
      app.unmount();
    }
  });

  it('fits 80x24 and keeps the selection when the state moves on', async () => {
    const { press, store, app } = mount(3000, undefined, { columns: 80, rows: 24 });
    const before = await press('G');
    expect(before.split('\n')).toHaveLength(23);
    expect(before).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  tree · Nix processes
          PID▲ USER      CPU%   MEM   TIME S DRV            COMMAND              11/11
         15810 root       0.2   22M   7.0s ?                /usr/bin/nix-daemon
         16146 root       1.5   17M   2.0s ?                └─ /usr/bin/nix-daemon
         16247 nixbld3    0.0  1.7M   2.0s ? gdbm-1.23         ├─ sh -c set -e echo "…
         16558 nixbld3    0.0  1.5M   0.0s ? gdbm-1.23         │  └─ timeout 1 yes
         16559 nixbld3   48.8  1.4M   0.0s ? gdbm-1.23         │     └─ yes
         16259 nixbld4   43.1  1.7M   2.0s ? libffi-3.4.6      ├─ sh -c set -e echo "…
         16527 nixbld2   47.9  1.7M   0.0s ? libuuid-2.39.3    ├─ sh -c set -e echo "…
         16532 nixbld1    0.0  1.7M   0.0s ? mpdecimal-2.5…    └─ sh -c set -e echo "…
         16535 nixbld1    0.0  1.5M   0.0s ? mpdecimal-2.5…       └─ timeout 1 yes
         16536 nixbld1   48.9  1.4M   0.0s ? mpdecimal-2.5…          └─ yes
      ›  16115 root       1.1   24M   2.0s ?                nix-build dag.nix --argst…





      recorded real build
      q quit  ? help  s sort  t tree  a all  f follow  K kill  z freeze  p pause"
    `);
    const framesBefore = app.frames.length;
    store.apply([{ kind: 'proc-scan', at: store.getSnapshot().state.now, processes: stateAt(6000).processes, host: null }]);
    await settled(app, framesBefore);
    expect(await press()).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  tree · Nix processes
          PID▲ USER      CPU%   MEM   TIME S DRV            COMMAND              13/13
         15810 root       0.1   22M   7.2s ?                /usr/bin/nix-daemon
         16146 root       1.2   17M   2.2s ?                └─ /usr/bin/nix-daemon
         16624 nixbld4    0.0  1.7M   0.0s ? openssl-3.0.13    ├─ sh -c set -e echo "…
         16735 nixbld4    0.0  1.5M   0.0s ? openssl-3.0.13    │  └─ timeout 1 yes
         16736 nixbld4   33.3  1.4M   0.0s ? openssl-3.0.13    │     └─ yes
         16727 nixbld2    0.0  1.7M   0.0s ? sqlite-3.45.1     ├─ sh -c set -e echo "…
         16730 nixbld2    0.0  1.5M   0.0s ? sqlite-3.45.1     │  └─ timeout 1 yes
         16731 nixbld2   36.3  1.4M   0.0s ? sqlite-3.45.1     │     └─ yes
         16739 nixbld3   37.5  1.7M   0.0s ? git-2.44.0        ├─ sh -c set -e echo "…
         16744 nixbld1    0.0  1.7M   0.0s ? xz-5.4.6          └─ sh -c set -e echo "…
         16747 nixbld1    0.0  1.5M   0.0s ? xz-5.4.6             └─ timeout 1 yes
         16748 nixbld1    0.0  1.4M   0.0s ? xz-5.4.6                └─ yes
      ›  16115 root       0.6   24M   2.2s ?                nix-build dag.nix --argst…



      recorded real build
      q quit  ? help  s sort  t tree  a all  f follow  K kill  z freeze  p pause"
    `);
  });
});
