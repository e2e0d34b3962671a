#!/usr/bin/env node
// run.mjs - run ped's Raspberry Pi Pico image (UF2) under rp2040js, deterministically.
//
//   node run.mjs firmware.uf2 [--serial stdio|tcp:PORT] [--control tcp:PORT]
//        [--battery CH,DIVIDER,VREF_MV,EMPTY_MV,FULL_MV] [--console-commands]
//
// What the bootrom would do: check the UF2 blocks (magics, RP2040 family id), check boot2's
// CRC32 (RP2040 datasheet §2.8.1; refused otherwise, as the chip would fall back to USB
// boot), copy boot2 to SRAM 0x20041f00 and run it; boot2 (boards/pico/boot2.c, our code)
// sets VTOR and enters the application. rp2040js ships no bootrom, so that step is ours.
//
// Time is simulated: every executed instruction advances the clock by its rp2040js cycle
// count at clk_sys (the frequency the firmware programmed into the PLL), so runs are
// deterministic. While the core sleeps (WFI) the clock jumps to the next timer event; with
// no serial input queued, those jumps are paced by the wall clock so an idle firmware does
// not spin the host CPU. Modelled: what rp2040js models (XOSC/PLL/CLOCKS accept writes and
// lock at once, UART0 PL011 with interrupts, TIMER, ADC, WATCHDOG, NVIC, SysTick); UART TX
// is instant, RX is fed at the programmed baud rate (10 bits per byte), never overrun.
//
// Serial: UART0 on stdio (tests) or a TCP server on 127.0.0.1 that waits for its first
// client before the CPU starts (like QEMU's wait=on), so the client sees the boot.
// Battery: VSYS behind a divider on an ADC channel, from an energy model here: `battery P D`
// on the control socket (a text line) sets the charge to P permille, spending D permille per
// 10^9 active CPU cycles (cycles asleep are free), as board_battery_simulate does on the
// QEMU boards; the firmware sees only its ADC readings. --console-commands also accepts that
// command as a UART0 output line `@emu battery P D` (the on-target test suite uses it).
// Exit: a watchdog reset with SCRATCH0 = "pedx" ends the process with status SCRATCH1
// (board_exit); any other watchdog reset reboots the chip, as on silicon.
import fs from 'node:fs';
import net from 'node:net';
import { RP2040 } from 'rp2040js';

const FLASH_BASE = 0x10000000;
const BOOT2_SRAM = 0x20041f00;
const SRAM_END = 0x20042000;
const UF2_MAGIC0 = 0x0a324655;
const UF2_MAGIC1 = 0x9e5d5157;
const UF2_MAGIC_END = 0x0ab16f30;
const UF2_FAMILY_RP2040 = 0xe48bff56;
const EXIT_MAGIC = 0x70656478;
const IDLE_CREDIT_MAX_NS = 50e6;

function fail(message) {
  process.stderr.write(`ped pico-emu: ${message}\n`);
  process.exit(70);
}

function parseArgs(argv) {
  const opts = { image: '', serial: 'stdio', control: '', consoleCommands: false,
    battery: [3, 3, 3300, 3000, 4200] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--serial') opts.serial = argv[++i];
    else if (a === '--control') opts.control = argv[++i];
    else if (a === '--battery') opts.battery = argv[++i].split(',').map(Number);
    else if (a === '--console-commands') opts.consoleCommands = true;
    else if (a.startsWith('--')) fail(`unknown option ${a}`);
    else opts.image = a;
  }
  if (!opts.image) fail('usage: run.mjs firmware.uf2 [--serial stdio|tcp:PORT] [--control tcp:PORT]');
  return opts;
}

// ---- UF2 and boot2 ----------------------------------------------------------------------

function loadUf2(bytes) {
  if (bytes.length === 0 || bytes.length % 512) fail('not a UF2 file: size is not a multiple of 512');
  const blocks = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let off = 0; off < bytes.length; off += 512) {
    const u32 = (o) => view.getUint32(off + o, true);
    if (u32(0) !== UF2_MAGIC0 || u32(4) !== UF2_MAGIC1 || u32(508) !== UF2_MAGIC_END) {
      fail(`UF2 block at byte ${off}: bad magic`);
    }
    if (!(u32(8) & 0x2000) || u32(28) !== UF2_FAMILY_RP2040) {
      fail(`UF2 block at byte ${off}: not for the RP2040 family (0x${UF2_FAMILY_RP2040.toString(16)})`);
    }
    const addr = u32(12), size = u32(16);
    if (size > 476 || addr < FLASH_BASE) fail(`UF2 block at byte ${off}: bad address/size`);
    blocks.push({ addr, data: bytes.subarray(off + 32, off + 32 + size) });
  }
  return blocks;
}

// CRC-32 as the bootrom checks boot2: polynomial 0x04c11db7, MSB first, init 0xffffffff.
function crc32Boot2(data) {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte << 24;
    for (let b = 0; b < 8; b++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

// ---- the machine --------------------------------------------------------------------------

const opts = parseArgs(process.argv.slice(2));
const image = loadUf2(new Uint8Array(fs.readFileSync(opts.image)));
const [batChannel, batDivider, batVrefMv, batEmptyMv, batFullMv] = opts.battery;
const battery = { start: 1000, drain: 0, t0: 0 };  // permille, permille per 1e9 cycles
let activeCycles = 0;
let mcu = null;
let serialOut = (bytes) => process.stdout.write(bytes);
let txBuf = [];
const rxQueue = [];
let rxAlarm = null;
let lineBuf = '';
const warned = new Set();

const logger = {
  debug() {}, info() {},
  warn(component, message) {
    const key = `${component}: ${message}`.replace(/[0-9a-fx]{4,}/g, '#');
    if (!warned.has(key)) { warned.add(key); process.stderr.write(`ped pico-emu: warning ${component}: ${message}\n`); }
  },
  error(component, message) { fail(`${component}: ${message}`); },
};

function batteryPermille() {
  const level = battery.start - (battery.drain * (activeCycles - battery.t0)) / 1e9;
  return Math.max(0, Math.min(1000, level));
}

function setBattery(permille, drain) {
  battery.start = Math.max(0, Math.min(1000, permille));
  battery.drain = Math.max(0, drain);
  battery.t0 = activeCycles;
}

function adcValue(channel) {
  if (channel !== batChannel) return 0;
  const mv = batEmptyMv + ((batFullMv - batEmptyMv) * batteryPermille()) / 1000;
  return Math.max(0, Math.min(4095, Math.floor((mv / batDivider / batVrefMv) * 4096)));
}

function flushTx() {
  if (txBuf.length) { serialOut(Uint8Array.from(txBuf)); txBuf = []; }
}

function onTxByte(byte) {
  txBuf.push(byte);
  if (txBuf.length >= 4096) flushTx();
  if (!opts.consoleCommands) return;
  if (byte === 10) {
    const m = /^@emu battery (\d+) (\d+)\s*$/.exec(lineBuf);
    if (m) setBattery(Number(m[1]), Number(m[2]));
    lineBuf = '';
  } else if (lineBuf.length < 80) {
    lineBuf += String.fromCharCode(byte);
  }
}

function byteNanos() {
  const baud = mcu.uart[0].baudRate || 115200;
  return (10 * 1e9) / baud;
}

let rxScheduled = false;  // (a ClockAlarm's own `scheduled` stays set after it fired)

function scheduleRx() {
  rxScheduled = true;
  rxAlarm.schedule(byteNanos());
}

function feedRx() {
  rxScheduled = false;
  const uart = mcu.uart[0];
  if (rxQueue.length && !uart.rxFIFO.full) uart.feedByte(rxQueue.shift());
  if (rxQueue.length) scheduleRx();
}

function queueRx(data) {
  for (const b of data) rxQueue.push(b);
  if (mcu && !rxScheduled && rxQueue.length) scheduleRx();
}

function boot() {
  mcu = new RP2040();
  mcu.logger = logger;
  for (const { addr, data } of image) mcu.flash.set(data, addr - FLASH_BASE);
  const boot2 = mcu.flash.subarray(0, 256);
  const want = new DataView(boot2.buffer, boot2.byteOffset + 252, 4).getUint32(0, true);
  const got = crc32Boot2(boot2.subarray(0, 252));
  if (got !== want) {
    fail(`boot2 CRC32 is 0x${got.toString(16)}, the image says 0x${want.toString(16)}: ` +
      'the bootrom would not start it (rebuild: the build writes the CRC)');
  }
  mcu.sram.set(boot2, BOOT2_SRAM - 0x20000000);
  mcu.core.SP = SRAM_END;
  mcu.core.PC = BOOT2_SRAM;
  mcu.uart[0].onByte = onTxByte;
  mcu.adc.onADCRead = (channel) => {
    mcu.adc.sampleAlarm.schedule(mcu.adc.sampleTime * 1000);
    mcu.adc.currentChannel = channel;
    mcu.adc.channelValues[channel] = adcValue(channel);
  };
  const watchdog = mcu.peripherals[0x40058];  // RPWatchdog (not exposed as a field)
  watchdog.onWatchdogTrigger = () => {
    const scratch = watchdog.scratchData;
    if (scratch[0] === EXIT_MAGIC) finish(scratch[1] | 0);
    else rebootPending = true;
  };
  rxAlarm = mcu.clock.createAlarm(feedRx);
  rxScheduled = false;
  if (rxQueue.length) scheduleRx();
}

let rebootPending = false;
let finished = false;

function finish(code) {
  finished = true;
  flushTx();
  const done = () => process.exit(code);
  if (process.stdout.writableLength) process.stdout.once('drain', done);
  else if (client) client.end(done);
  else done();
}

// ---- the run loop -----------------------------------------------------------------------

let idleCredit = 0;
let lastWall = performance.now();

function runSlice() {
  if (finished) return;
  const now = performance.now();
  idleCredit = Math.min(IDLE_CREDIT_MAX_NS, idleCredit + (now - lastWall) * 1e6);
  lastWall = now;
  const sliceEnd = now + 20;
  const { clock } = mcu;
  for (let n = 0; !finished; n++) {
    if (rebootPending) { rebootPending = false; boot(); }
    const core = mcu.core;
    if (core.waiting) {
      if (core.interruptsUpdated && core.checkForInterrupts()) { core.waiting = false; continue; }
      const delta = mcu.clock.nanosToNextAlarm;
      flushTx();
      if (delta <= 0) { setTimeout(runSlice, 5); return; }  // nothing can wake it but input
      if (rxQueue.length === 0) {
        if (idleCredit < delta) { setTimeout(runSlice, Math.min(5, Math.ceil((delta - idleCredit) / 1e6))); return; }
        idleCredit -= delta;
      }
      mcu.clock.tick(delta);
    } else {
      const cycles = core.executeInstruction();
      activeCycles += cycles;
      mcu.clock.tick((cycles * 1e9) / mcu.clkSys);
    }
    if ((n & 0xfff) === 0 && performance.now() > sliceEnd) break;
  }
  void clock;
  flushTx();
  setImmediate(runSlice);
}

// ---- serial and control -----------------------------------------------------------------

let client = null;

function listen(spec, onClient, label) {
  const m = /^tcp:(\d+)$/.exec(spec);
  if (!m) fail(`${label} must be tcp:PORT, not ${spec}`);
  const server = net.createServer({ noDelay: true }, onClient);
  server.on('error', (e) => fail(`${label}: ${e.message}`));
  server.listen(Number(m[1]), '127.0.0.1');
  return server;
}

if (opts.control) {
  listen(opts.control, (sock) => {
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        const b = /^battery (\d+) (\d+)$/.exec(line);
        if (b) { setBattery(Number(b[1]), Number(b[2])); sock.write('ok\n'); }
        else sock.write(`error: unknown command '${line}' (battery PERMILLE DRAIN)\n`);
      }
    });
    sock.on('error', () => {});
  }, '--control');
}

if (process.env.PED_EMU_DEBUG) {
  setInterval(() => process.stderr.write(`ped pico-emu: t=${(mcu.clock.nanos / 1e6).toFixed(1)} ms ` +
    `active=${activeCycles} pc=0x${mcu.core.PC.toString(16)} waiting=${mcu.core.waiting} clkSys=${mcu.clkSys}\n`), 1000).unref();
}
boot();
if (opts.serial === 'stdio') {
  process.stdin.on('data', (d) => queueRx(d));
  process.stdin.on('error', () => {});
  runSlice();
} else {
  let started = false;
  listen(opts.serial, (sock) => {
    if (client) client.destroy();
    client = sock;
    sock.setNoDelay(true);
    serialOut = (bytes) => { if (client === sock) sock.write(bytes); };
    sock.on('data', (d) => queueRx(d));
    sock.on('error', () => {});
    sock.on('close', () => { if (client === sock) { client = null; serialOut = () => {}; } });
    if (!started) { started = true; lastWall = performance.now(); runSlice(); }
  }, '--serial');
  serialOut = () => {};
  process.stderr.write(`ped pico-emu: serial on ${opts.serial}` +
    (opts.control ? `, control on ${opts.control}` : '') + '\n');
}
