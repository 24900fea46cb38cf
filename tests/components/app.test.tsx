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
  // Waits for each key's frame to settle (no new frame for 40 ms), so a loaded machine does not read a stale frame.
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
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  tree · Nix processes                     1/11
          PID▲ USER      CPU%   MEM    TIME+ ELAPSED S DRV             COMMAND
      ›  15810 root       0.2   22M        -    7.0s ?                 /usr/bin/nix-daemon
         16146 root       1.5   17M        -    2.0s ?                 └─ /usr/bin/nix-daemon
         16247 nixbld3    0.0  1.7M        -    2.0s ? gdbm-1.23          ├─ sh -c set -e echo "@nix {\\"a…
         16558 nixbld3    0.0  1.5M        -    0.0s ? gdbm-1.23          │  └─ timeout 1 yes
         16559 nixbld3   48.8  1.4M        -    0.0s ? gdbm-1.23          │     └─ yes
         16259 nixbld4   43.1  1.7M        -    2.0s ? libffi-3.4.6       ├─ sh -c set -e echo "@nix {\\"a…
         16527 nixbld2   47.9  1.7M        -    0.0s ? libuuid-2.39.3     ├─ sh -c set -e echo "@nix {\\"a…
         16532 nixbld1    0.0  1.7M        -    0.0s ? mpdecimal-2.5.1    └─ sh -c set -e echo "@nix {\\"a…
         16535 nixbld1    0.0  1.5M        -    0.0s ? mpdecimal-2.5.1       └─ timeout 1 yes
         16536 nixbld1   48.9  1.4M        -    0.0s ? mpdecimal-2.5.1          └─ yes
         16115 root       1.1   24M        -    2.0s ?                 nix-build dag.nix --argstr nonce d…











      recorded real build
      q quit  ? help  s sort  t tree  a all  f follow  K kill  z freeze  p pause  F3 search  / filter"
    `);
  });

  it('shows the Builder view and expands a builder', async () => {
    const { press } = mount(3000);
    expect(await press('2')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  builders                                  1/4
       SLOT▲    USER         JOB DERIVATION      PHASE        ELAPSED PROCS  CPU%   MEM LAST LOG LINE
      ›nixbld1  root       16115 mpdecimal-2.5.1 buildPhase      1.1s     3  48.9  4.5M   CC       src/mp…
       nixbld2  root       16115 libuuid-2.39.3  buildPhase      1.1s     1  47.9  1.7M   CC       src/li…
       nixbld3  root       16115 gdbm-1.23       buildPhase      2.7s     3  48.8  4.6M warning: this is …
       nixbld4  root       16115 libffi-3.4.6    buildPhase      2.7s     1  43.1  1.7M   CC       src/li…


















      recorded real build
      q quit  ? help  s sort  Enter expand  K kill  z freeze  p pause  F3 search  / filter"
    `);
    expect(await press('\r')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  builders                                  1/7
       SLOT▲    USER         JOB DERIVATION      PHASE        ELAPSED PROCS  CPU%   MEM LAST LOG LINE
      ›nixbld1  root       16115 mpdecimal-2.5.1 buildPhase      1.1s     3  48.9  4.5M   CC       src/mp…
                nixbld1            16532         ?                            0.0  1.7M sh -c set -e echo…
                nixbld1            16535         ?                            0.0  1.5M timeout 1 yes
                nixbld1            16536         ?                           48.9  1.4M yes
       nixbld2  root       16115 libuuid-2.39.3  buildPhase      1.1s     1  47.9  1.7M   CC       src/li…
       nixbld3  root       16115 gdbm-1.23       buildPhase      2.7s     3  48.8  4.6M warning: this is …
       nixbld4  root       16115 libffi-3.4.6    buildPhase      2.7s     1  43.1  1.7M   CC       src/li…















      recorded real build
      q quit  ? help  s sort  Enter expand  K kill  z freeze  p pause  F3 search  / filter"
    `);
  });

  it('shows the Eagle Eye view and cycles its modes', async () => {
    const { press } = mount(3000);
    expect(await press('3')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  whole tree                               1/17
       TARGET                              STATUS      PHASE        ELAPSED STARTED  LAST LOG LINE
      ›▾ 16115 root nix-build dag.nix --a… running     2/16 ✔          3.0s 18:48:46
         ▾ ⏸ my-dev-env-1.0  (dependencie… planned                        - -
             ⏵ gdbm-1.23                   running     buildPhase      2.7s 18:48:46 warning: this is a f…
             ⏸ xz-5.4.6                    planned                        - -
             ✔ bzip2-1.0.8                 built                       1.6s 18:48:46 patching script inte…
             ⏸ zlib-1.3.1                  planned                        - -
             ⏵ mpdecimal-2.5.1             running     buildPhase      1.1s 18:48:48   CC       src/mpdec…
             ⏵ libuuid-2.39.3              running     buildPhase      1.1s 18:48:48   CC       src/libuu…
             ✔ expat-2.6.2                 built                       1.6s 18:48:46 patching script inte…
             ⏸ git-2.44.0                  planned                        - -
             ⏸ ncurses-6.4                 planned                        - -
             ⏸ openssl-3.0.13              planned                        - -
             ⏵ libffi-3.4.6                running     buildPhase      2.7s 18:48:46   CC       src/libff…
             ⏸ sqlite-3.45.1               planned                        - -
             ⏸ perl-5.38.2                 planned                        - -
             ⏸ readline-8.2p10             planned                        - -
             ⏸ python3-minimal-3.11.9      planned                        - -





      recorded real build
      q quit  ? help  Enter expand  m mode  w widget  y copy  p pause  F3 search  / filter"
    `);
    expect(await press('m')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  only active paths                         1/6
       TARGET                              STATUS      PHASE        ELAPSED STARTED  LAST LOG LINE
      ›▾ 16115 root nix-build dag.nix --a… running     2/16 ✔          3.0s 18:48:46
         ▾ ⏸ my-dev-env-1.0  (dependencie… planned                        - -
             ⏵ gdbm-1.23                   running     buildPhase      2.7s 18:48:46 warning: this is a f…
             ⏵ mpdecimal-2.5.1             running     buildPhase      1.1s 18:48:48   CC       src/mpdec…
             ⏵ libuuid-2.39.3              running     buildPhase      1.1s 18:48:48   CC       src/libuu…
             ⏵ libffi-3.4.6                running     buildPhase      2.7s 18:48:46   CC       src/libff…
















      recorded real build
      q quit  ? help  Enter expand  m mode  w widget  y copy  p pause  F3 search  / filter"
    `);
  });

  it('shows the Jobs view and its detail pane', async () => {
    const { press } = mount(3000);
    expect(await press('4')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  jobs                                     1/17
           PID USER   STATUS      PHASE         STARTED▲   TIME WHAT
      ›  16115 root   running     2/16 ✔        18:48:46   3.0s nix-build dag.nix --argstr nonce dr-17955…
                      running     buildPhase    18:48:46   2.7s   ⏵ gdbm-1.23
                      planned                   -             -   ⏸ xz-5.4.6
                      built                     18:48:46   1.6s   ✔ bzip2-1.0.8
                      planned                   -             -   ⏸ zlib-1.3.1
                      running     buildPhase    18:48:48   1.1s   ⏵ mpdecimal-2.5.1
                      running     buildPhase    18:48:48   1.1s   ⏵ libuuid-2.39.3
                      built                     18:48:46   1.6s   ✔ expat-2.6.2
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
      q quit  ? help  s sort  y copy  Enter detail  K kill  z freeze  p pause  F3 search  / filter"
    `);
    expect(await press('j', 'j', '\r')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  jobs                                     3/17
           PID USER   STATUS      PHASE         STARTED▲   TIME WHAT
         16115 root   running     2/16 ✔        18:48:46   3.0s nix-build dag.nix --argstr nonce dr-17955…
                      running     buildPhase    18:48:46   2.7s   ⏵ gdbm-1.23
      ›               planned                   -             -   ⏸ xz-5.4.6
                      built                     18:48:46   1.6s   ✔ bzip2-1.0.8
                      planned                   -             -   ⏸ zlib-1.3.1
                      running     buildPhase    18:48:48   1.1s   ⏵ mpdecimal-2.5.1
                      running     buildPhase    18:48:48   1.1s   ⏵ libuuid-2.39.3
                      built                     18:48:46   1.6s   ✔ expat-2.6.2
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
      q quit  ? help  s sort  y copy  Enter detail  K kill  z freeze  p pause  F3 search  / filter"
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
      │ Manual  (↑↓ PgUp PgDn scroll · End last line · Esc close)                                  20/97 │
      │ nix-btm: htop for Nix. Every Nix build on this machine, live.                                    │
      │                                                                                                  │
      │ Views                                                                                            │
      │   1 Process    the Nix process forest: daemon, workers, clients, builders and their children     │
      │   2 Builder    one row per active builder: derivation, phase, elapsed, processes, CPU, memory,   │
      │                last log line                                                                     │
      │   3 Eagle Eye  every target of every client as a tree of derivations with their status           │
      │   4 Jobs       every job (a client's request) and every build and transfer in it                 │
      │   5 History    past jobs from the build history, their derivations, and analytics                │
      │                                                                                                  │
      │ Keys                                                                                             │
      │   q F10 C-c      quit (the terminal is restored); in the manual: close it                        │
      │   ? F1 h M       open this manual                                                                │
      │   Tab            next view                                                                       │
      │   S-Tab          previous view                                                                   │
      │   1              Process view                                                                    │
      │   2              Builder view                                                                    │
      │   3              Eagle Eye view                                                                  │
      │   4              Jobs view                                                                       │
      │   5              History view                                                                    │
      ╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
      recorded real build
      Esc close  ↑↓ PgUp PgDn scroll  End last line"
    `);
    expect(await press('\x1b')).toContain('1 Process');
    expect(await press('\x1bOP')).toContain('Manual');
    expect(await press('\x1b', 'M', '\x1b[6~')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  tree · Nix processes
      ╭──────────────────────────────────────────────────────────────────────────────────────────────────╮
      │ Manual  (↑↓ PgUp PgDn scroll · End last line · Esc close)                                  39/97 │
      │   5              History view                                                                    │
      │   p              pause the display (collection goes on); again to resume                         │
      │   k ↑            move up (k as in vim; the signal dialog is K or F9) (lists)                     │
      │   j ↓            move down (lists)                                                               │
      │   PgUp           one page up (the detail pane when open) (lists)                                 │
      │   PgDn           one page down (the detail pane when open) (lists)                               │
      │   Home g         first row (lists)                                                               │
      │   End G          last row (lists)                                                                │
      │   F3             search: jump to the next row containing the text (Enter keeps it; in the detail │
      │                  pane also /) (lists)                                                            │
      │   n              next search match (lists)                                                       │
      │   N              previous search match (lists)                                                   │
      │   / F4 \\         filter rows by text: words, each a substring of the row, all must match (Enter  │
      │                  keeps it, Esc clears it, also once kept; C-u clears the text, C-w its last      │
      │                  word) (lists)                                                                   │
      │   s > .          sort by the next column (Process, Builder, Jobs, History)                       │
      │   < ,            sort by the previous column (Process, Builder, Jobs, History)                   │
      │   F6             pick the sort column from a list (a click on a column title sorts by it too)    │
      │                  (Process, Builder, Jobs, History)                                               │
      │   r              reverse the sort order (Process, Builder, Jobs, History)                        │
      ╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
      recorded real build
      Esc close  ↑↓ PgUp PgDn scroll  End last line"
    `);
  });

  it('sorts, filters, toggles the tree and all processes', async () => {
    const { press } = mount(3000);
    expect(await press('t', 's', 's', 'r')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  list · Nix processes                     1/11
           PID USER     CPU%▼   MEM    TIME+ ELAPSED S DRV             COMMAND
      ›  16536 nixbld1   48.9  1.4M        -    0.0s ? mpdecimal-2.5.1 yes
         16559 nixbld3   48.8  1.4M        -    0.0s ? gdbm-1.23       yes
         16527 nixbld2   47.9  1.7M        -    0.0s ? libuuid-2.39.3  sh -c set -e echo "@nix {\\"action\\…
         16259 nixbld4   43.1  1.7M        -    2.0s ? libffi-3.4.6    sh -c set -e echo "@nix {\\"action\\…
         16146 root       1.5   17M        -    2.0s ?                 /usr/bin/nix-daemon
         16115 root       1.1   24M        -    2.0s ?                 nix-build dag.nix --argstr nonce d…
         15810 root       0.2   22M        -    7.0s ?                 /usr/bin/nix-daemon
         16247 nixbld3    0.0  1.7M        -    2.0s ? gdbm-1.23       sh -c set -e echo "@nix {\\"action\\…
         16558 nixbld3    0.0  1.5M        -    0.0s ? gdbm-1.23       timeout 1 yes
         16532 nixbld1    0.0  1.7M        -    0.0s ? mpdecimal-2.5.1 sh -c set -e echo "@nix {\\"action\\…
         16535 nixbld1    0.0  1.5M        -    0.0s ? mpdecimal-2.5.1 timeout 1 yes











      recorded real build
      q quit  ? help  s sort  t tree  a all  f follow  K kill  z freeze  p pause  F3 search  / filter"
    `);
    expect(await press('/', 'y', 'e', 's', '\r')).toMatchInlineSnapshot(`
      "nix-btm │ recorded build │ Nix 2.8.0 │ demo │ recorded real build
      ⏵ 4 running  ✔ 2 built  ✘ 0 failed  ⏸ 10 queued  ↓ 0 downloads
      CPU n/a  Mem n/a
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  list · Nix processes · filter "yes"       1/4
           PID USER     CPU%▼   MEM    TIME+ ELAPSED S DRV             COMMAND
      ›  16536 nixbld1   48.9  1.4M        -    0.0s ? mpdecimal-2.5.1 yes
         16559 nixbld3   48.8  1.4M        -    0.0s ? gdbm-1.23       yes
         16558 nixbld3    0.0  1.5M        -    0.0s ? gdbm-1.23       timeout 1 yes
         16535 nixbld1    0.0  1.5M        -    0.0s ? mpdecimal-2.5.1 timeout 1 yes


















      recorded real build
      q quit  ? help  s sort  t tree  a all  f follow  K kill  z freeze  p pause  F3 search  / filter"
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
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  builders                                  1/4
       SLOT▲    USER         JOB DERIVATION      PHASE        ELAPSED PROCS  CPU%   MEM LAST LOG LINE
      ›nixbld1  root       16115 mpdecimal-2.5.1 buildPhase      1.1s     3  48.9  4.5M   CC       src/mp…
       nixbld2  root       16115 libuuid-2.39.3  buildPhase      1.1s     1  47.9  1.7M   CC       src/li…
       nixbld3  root       16115 gdbm-1.23       buildPhase      2.7s     3  48.8  4.6M warning: this is …
       nixbld4  root       16115 libffi-3.4.6    buildPhase      2.7s     1  43.1  1.7M   CC       src/li…













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
       1 Process  2 Builder  3 Eagle Eye  4 Jobs  5 History  builders                                  1/4
       SLOT▲    USER         JOB DERIVATION      PHASE        ELAPSED PROCS  CPU%   MEM LAST LOG LINE
      ›nixbld1  root       16115 mpdecimal-2.5.1 buildPhase      1.1s     3  48.9  4.5M   CC       src/mp…
       nixbld2  root       16115 libuuid-2.39.3  buildPhase      1.1s     1  47.9  1.7M   CC       src/li…
       nixbld3  root       16115 gdbm-1.23       buildPhase      2.7s     3  48.8  4.6M warning: this is …
       nixbld4  root       16115 libffi-3.4.6    buildPhase      2.7s     1  43.1  1.7M   CC       src/li…













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
      expect(await press('\r')).toContain('nothing matches "xyz" (/ to change, Esc to clear)');
      // Esc clears a filter kept with Enter (htop's habit), and the rows come back.
      const cleared = await press('\x1b');
      expect(cleared).not.toContain('nothing matches');
      expect(cleared).not.toContain('filter "xyz"');
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
       1 Process  2  3  4  5  tree · Nix processes                               11/11
          PID▲ USER      CPU%   MEM    TIME+ ELAPSED S DRV            COMMAND
         15810 root       0.2   22M        -    7.0s ?                /usr/bin/nix-da…
         16146 root       1.5   17M        -    2.0s ?                └─ /usr/bin/nix…
         16247 nixbld3    0.0  1.7M        -    2.0s ? gdbm-1.23         ├─ sh -c set…
         16558 nixbld3    0.0  1.5M        -    0.0s ? gdbm-1.23         │  └─ timeou…
         16559 nixbld3   48.8  1.4M        -    0.0s ? gdbm-1.23         │     └─ yes
         16259 nixbld4   43.1  1.7M        -    2.0s ? libffi-3.4.6      ├─ sh -c set…
         16527 nixbld2   47.9  1.7M        -    0.0s ? libuuid-2.39.3    ├─ sh -c set…
         16532 nixbld1    0.0  1.7M        -    0.0s ? mpdecimal-2.5…    └─ sh -c set…
         16535 nixbld1    0.0  1.5M        -    0.0s ? mpdecimal-2.5…       └─ timeou…
         16536 nixbld1   48.9  1.4M        -    0.0s ? mpdecimal-2.5…          └─ yes
      ›  16115 root       1.1   24M        -    2.0s ?                nix-build dag.n…





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
       1 Process  2  3  4  5  tree · Nix processes                               13/13
          PID▲ USER      CPU%   MEM    TIME+ ELAPSED S DRV            COMMAND
         15810 root       0.1   22M        -    7.2s ?                /usr/bin/nix-da…
         16146 root       1.2   17M        -    2.2s ?                └─ /usr/bin/nix…
         16624 nixbld4    0.0  1.7M        -    0.0s ? openssl-3.0.13    ├─ sh -c set…
         16735 nixbld4    0.0  1.5M        -    0.0s ? openssl-3.0.13    │  └─ timeou…
         16736 nixbld4   33.3  1.4M        -    0.0s ? openssl-3.0.13    │     └─ yes
         16727 nixbld2    0.0  1.7M        -    0.0s ? sqlite-3.45.1     ├─ sh -c set…
         16730 nixbld2    0.0  1.5M        -    0.0s ? sqlite-3.45.1     │  └─ timeou…
         16731 nixbld2   36.3  1.4M        -    0.0s ? sqlite-3.45.1     │     └─ yes
         16739 nixbld3   37.5  1.7M        -    0.0s ? git-2.44.0        ├─ sh -c set…
         16744 nixbld1    0.0  1.7M        -    0.0s ? xz-5.4.6          └─ sh -c set…
         16747 nixbld1    0.0  1.5M        -    0.0s ? xz-5.4.6             └─ timeou…
         16748 nixbld1    0.0  1.4M        -    0.0s ? xz-5.4.6                └─ yes
      ›  16115 root       0.6   24M        -    2.2s ?                nix-build dag.n…



      recorded real build
      q quit  ? help  s sort  t tree  a all  f follow  K kill  z freeze  p pause"
    `);
  });
});
