/*
 * boards/native/board.c - board.h for a Linux host process.
 *
 * Interrupts are signals: SIGIO = serial RX (the pty master is O_ASYNC), SIGRTMIN = deadline
 * timer, SIGRTMIN+1 = battery-model timer, SIGUSR1 = host brown-out command
 * (`kill -USR1 <pid>` drops the battery below the threshold). Handlers block each other, like
 * interrupts of one priority.
 *
 * Time: board_cycles() counts nanoseconds of this process's CPU time (default), so a loaded
 * host cannot stretch a stage: time advances only while the firmware runs, like a cycle
 * counter (or QEMU -icount). board_sleep() then skips ahead to the armed deadline, as QEMU's
 * `-icount sleep=off` does. PED_NATIVE_CLOCK=wall in the environment selects the wall clock
 * (CLOCK_MONOTONIC) instead, for real-time runs against a host harness. board_micros() is
 * always wall time (CLOCK_MONOTONIC): the timestamps a benchmark runner compares with its own
 * clock.
 * The battery spends charge per active cycle: time inside board_sleep() costs nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ped/board.h"
#include "ped/energy.h"
#include "ped/ring.h"

#define PTY_ENV "PED_NATIVE_PTY_FD"

#define CPU_HZ 1000000000u
#define BATTERY_THRESHOLD 100u   /* permille */
#define BATTERY_DRAIN 1u         /* default: 1 permille per 10^9 cycles (one second here) */

static struct {
    clockid_t clock;
    struct timespec t0;
    struct timespec wall0;       /* CLOCK_MONOTONIC at board_init, for board_micros() */
    uint64_t skipped;            /* ns board_sleep() jumped over (CPU clock only) */
    uint64_t idle;               /* ns spent in board_sleep(): no battery drain */
    int pty;
    ped_ring_t rx;
    uint8_t rx_buf[1024];
    timer_t deadline_timer;
    board_irq_fn deadline_fn;
    void *deadline_ctx;
    timer_t battery_timer;
    board_irq_fn battery_fn;
    void *battery_ctx;
    ped_energy_t battery;        /* over active cycles */
    volatile sig_atomic_t events;
    sig_atomic_t seen;
} g;

static void irq_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGIO);
    sigaddset(set, SIGRTMIN);
    sigaddset(set, SIGRTMIN + 1);
    sigaddset(set, SIGUSR1);
}

uint64_t board_cycles(void)
{
    struct timespec now;
    clock_gettime(g.clock, &now);
    return (uint64_t)(now.tv_sec - g.t0.tv_sec) * 1000000000u + (uint64_t)now.tv_nsec -
           (uint64_t)g.t0.tv_nsec + g.skipped;
}

uint64_t board_micros(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ns = (int64_t)(now.tv_sec - g.wall0.tv_sec) * 1000000000 +
                 (int64_t)(now.tv_nsec - g.wall0.tv_nsec);
    return (uint64_t)ns / 1000u;
}

uint32_t board_cycles_hz(void) { return CPU_HZ; }
uint32_t board_cpu_hz(void) { return CPU_HZ; }
const char *board_name(void) { return "native"; }

/* ---- battery energy model ---- */

/* Cycles the CPU was busy (not in board_sleep) since board_init. */
static uint64_t active_cycles(void) { return board_cycles() - g.idle; }

uint16_t board_battery_permille(void) { return ped_energy_level(&g.battery, active_cycles()); }
uint16_t board_battery_threshold(void) { return BATTERY_THRESHOLD; }
bool board_battery_low(void) { return board_battery_permille() < BATTERY_THRESHOLD; }

static void arm_ns(timer_t timer, uint64_t ns)
{
    struct itimerspec its = {0};
    its.it_value.tv_sec = (time_t)(ns / 1000000000u);
    its.it_value.tv_nsec = (long)(ns % 1000000000u);
    timer_settime(timer, 0, &its, NULL);  /* all zero disarms */
}

/* Re-plan the battery timer for the active cycle the level drops below the threshold (it
 * re-plans again if idle time made it early). Called with signals blocked or from a handler. */
static void battery_replan(void)
{
    const uint64_t wait = ped_energy_until_below(&g.battery, active_cycles(), BATTERY_THRESHOLD);
    arm_ns(g.battery_timer, wait == UINT64_MAX ? 0 : wait);  /* 0 disarms */
    if (wait == 0 && g.battery_fn) {
        g.battery_fn(g.battery_ctx);
    }
}

ped_status_t board_battery_simulate(uint16_t permille, uint32_t drain)
{
    if (permille > 1000) {
        return PED_ERR_ARG;
    }
    sigset_t set, old;
    irq_signals(&set);
    sigprocmask(SIG_BLOCK, &set, &old);
    g.battery = (ped_energy_t){.start = permille, .drain = drain, .t0 = active_cycles()};
    battery_replan();
    sigprocmask(SIG_SETMASK, &old, NULL);
    return PED_OK;
}

void board_battery_on_low(board_irq_fn fn, void *ctx)
{
    sigset_t set, old;
    irq_signals(&set);
    sigprocmask(SIG_BLOCK, &set, &old);
    g.battery_fn = fn;
    g.battery_ctx = ctx;
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- signal handlers ("interrupts") ---- */

static void on_signal(int sig)
{
    int saved = errno;
    g.events++;
    if (sig == SIGIO) {
        uint8_t chunk[64];
        ssize_t n;
        while ((n = read(g.pty, chunk, sizeof chunk)) > 0) {
            for (ssize_t i = 0; i < n; i++) {
                ped_ring_put(&g.rx, chunk[i]);
            }
        }
    } else if (sig == SIGRTMIN) {
        if (g.deadline_fn) {
            g.deadline_fn(g.deadline_ctx);
        }
    } else if (sig == SIGRTMIN + 1) {
        battery_replan();
    } else if (sig == SIGUSR1) {  /* host command: brown-out */
        g.battery.start = BATTERY_THRESHOLD / 2;
        g.battery.t0 = active_cycles();
        battery_replan();
    }
    errno = saved;
}

static int make_timer(int sig, timer_t *out)
{
    struct sigevent sev = {0};
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = sig;
    return timer_create(g.clock, &sev, out);
}

ped_status_t board_init(void)
{
    const char *clock = getenv("PED_NATIVE_CLOCK");
    g.clock = (clock && strcmp(clock, "wall") == 0) ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID;
    clock_gettime(g.clock, &g.t0);
    clock_gettime(CLOCK_MONOTONIC, &g.wall0);
    ped_ring_init(&g.rx, g.rx_buf, sizeof g.rx_buf);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    irq_signals(&sa.sa_mask);
    int sigs[] = {SIGIO, SIGRTMIN, SIGRTMIN + 1, SIGUSR1};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if (sigaction(sigs[i], &sa, NULL) != 0) {
            return PED_ERR_NOT_SUPPORTED;
        }
    }
    if (make_timer(SIGRTMIN, &g.deadline_timer) || make_timer(SIGRTMIN + 1, &g.battery_timer)) {
        return PED_ERR_NOT_SUPPORTED;
    }
    /* After board_reset() the re-executed process keeps its pty, as a real board keeps its
     * USB serial port across a reset: the descriptor number arrives in PTY_ENV. */
    const char *kept = getenv(PTY_ENV);
    g.pty = kept ? atoi(kept) : -1;
    if (g.pty < 0 || fcntl(g.pty, F_GETFD) < 0) {
        g.pty = posix_openpt(O_RDWR | O_NOCTTY);
        if (g.pty < 0 || grantpt(g.pty) || unlockpt(g.pty)) {
            return PED_ERR_NOT_SUPPORTED;
        }
    }
    struct termios tio;
    if (tcgetattr(g.pty, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(g.pty, TCSANOW, &tio);
    }
    fcntl(g.pty, F_SETOWN, getpid());
    fcntl(g.pty, F_SETFL, fcntl(g.pty, F_GETFL) | O_NONBLOCK | O_ASYNC);
    on_signal(SIGIO); /* bytes that arrived while O_ASYNC was off (across a reset) */
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ped native: serial on %s; brown-out: kill -USR1 %d\n", ptsname(g.pty), (int)getpid());
    return board_battery_simulate(1000, BATTERY_DRAIN);
}

/* ---- serial ---- */

size_t board_serial_write(const uint8_t *data, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(g.pty, data + done, len - done);
        if (n > 0) {
            done += (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            break;  /* the far end is gone: drop, like a UART with no listener */
        } else {
            struct pollfd p = {.fd = g.pty, .events = POLLOUT};
            poll(&p, 1, 100);  /* sleep until the pty drains */
        }
    }
    return len;
}

size_t board_serial_read(uint8_t *dst, size_t max) { return ped_ring_read(&g.rx, dst, max); }

size_t board_serial_available(void) { return ped_ring_used(&g.rx); }
uint32_t board_serial_rx_dropped(void) { return g.rx.dropped; }

void board_console_write(const char *text, size_t len)
{
    fwrite(text, 1, len, stdout);
}

/* ---- deadline ---- */

ped_status_t board_deadline_arm(uint32_t us, board_irq_fn fn, void *ctx)
{
    if (us == 0 || !fn) {
        return PED_ERR_ARG;
    }
    board_deadline_cancel();
    g.deadline_fn = fn;
    g.deadline_ctx = ctx;
    arm_ns(g.deadline_timer, (uint64_t)us * 1000u);
    return PED_OK;
}

void board_deadline_cancel(void)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &set, &old);
    arm_ns(g.deadline_timer, 0);
    struct timespec zero = {0};
    while (sigtimedwait(&set, NULL, &zero) == SIGRTMIN) {
        /* swallow an expiry that was already queued */
    }
    g.deadline_fn = NULL;
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- power ---- */

/* CPU clock: no time passes while we wait, so jump to the armed deadline and run its handler
 * now, as QEMU -icount sleep=off does. Returns false when no deadline is armed. */
static bool skip_to_deadline(void)
{
    struct itimerspec left;
    if (g.clock == CLOCK_MONOTONIC || timer_gettime(g.deadline_timer, &left) != 0 ||
        (left.it_value.tv_sec == 0 && left.it_value.tv_nsec == 0)) {
        return false;
    }
    arm_ns(g.deadline_timer, 0);
    g.skipped += (uint64_t)left.it_value.tv_sec * 1000000000u + (uint64_t)left.it_value.tv_nsec;
    on_signal(SIGRTMIN);
    return true;
}

void board_sleep(void)
{
    sigset_t set, old;
    irq_signals(&set);
    sigprocmask(SIG_BLOCK, &set, &old);
    const uint64_t start = board_cycles();
    if (g.events == g.seen && !skip_to_deadline()) {
        sigset_t wait = old;
        sigdelset(&wait, SIGIO);
        sigdelset(&wait, SIGRTMIN);
        sigdelset(&wait, SIGRTMIN + 1);
        sigdelset(&wait, SIGUSR1);
        sigsuspend(&wait);
    }
    g.idle += board_cycles() - start;
    g.seen = g.events;
    sigprocmask(SIG_SETMASK, &old, NULL);
}

void board_reset(void)
{
    char fd[16];
    /* exec resets the handlers to the default action, which for SIGIO is to terminate: no
     * SIGIO until the new image's board_init has installed its handler again */
    fcntl(g.pty, F_SETFL, fcntl(g.pty, F_GETFL) & ~O_ASYNC);
    snprintf(fd, sizeof fd, "%d", g.pty);
    setenv(PTY_ENV, fd, 1);
    fflush(stdout);
    execl("/proc/self/exe", "/proc/self/exe", (char *)NULL);
    _exit(1);
}

void board_exit(int code)
{
    fflush(stdout);
    exit(code);
}

/* ---- sensor: no IMU driver in this port yet (trial windows come from the host) ---- */

ped_status_t board_sensor_read(int8_t *window, uint32_t len)
{
    (void)window;
    (void)len;
    return PED_ERR_NOT_IMPLEMENTED;
}
