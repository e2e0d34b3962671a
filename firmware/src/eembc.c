/* eembc.c - the EEMBC / MLPerf Tiny DUT text mode (see ped/eembc.h, docs/protocol.md). */
#include "ped/eembc.h"

#include <string.h>

#include "ped/app.h"
#include "ped/board.h"
#include "ped/probability.h"

/* one reply line: the longest is m-results- with PED_MAX_CLASSES values of 6 characters */
typedef struct {
    char buf[16u + 6u * PED_MAX_CLASSES + 8u];
    size_t len;
} line_t;

static void put_str(line_t *l, const char *s)
{
    while (*s && l->len < sizeof l->buf - 2u) { /* keep room for "\r\n" */
        l->buf[l->len++] = *s++;
    }
}

static void put_u64(line_t *l, uint64_t v)
{
    char tmp[21];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    while (n && l->len < sizeof l->buf - 2u) {
        l->buf[l->len++] = tmp[--n];
    }
}

static void send_line(line_t *l)
{
    l->buf[l->len++] = '\r';
    l->buf[l->len++] = '\n';
    board_serial_write((const uint8_t *)l->buf, l->len);
    l->len = 0;
}

static void say(const char *a, const char *b)
{
    line_t l = {.len = 0};
    put_str(&l, a);
    put_str(&l, b);
    send_line(&l);
}

static void say_u64(const char *prefix, uint64_t v, const char *suffix)
{
    line_t l = {.len = 0};
    put_str(&l, prefix);
    put_u64(&l, v);
    put_str(&l, suffix);
    send_line(&l);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* a decimal number 0..PED_EEMBC_MAX_RUNS, else -1 */
static int32_t parse_count(const char *s)
{
    int32_t v = 0;
    if (!s || !*s) {
        return -1;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > PED_EEMBC_MAX_RUNS) {
            return -1;
        }
        v = v * 10 + (*s - '0');
    }
    return v > PED_EEMBC_MAX_RUNS ? -1 : v;
}

static void results(ped_app_t *app)
{
    const ped_model_t *m = app->model;
    uint16_t p[PED_MAX_CLASSES];
    if (!ped_probabilities(app->last_scores, m->n_classes, m->prob_multiplier, m->prob_shift,
                           p)) {
        say("e-[this model has no probability scale: regenerate it with ped codegen]", "");
        return;
    }
    line_t l = {.len = 0};
    put_str(&l, "m-results-[");
    for (uint16_t j = 0; j < m->n_classes; j++) {
        char v[7] = {(char)('0' + p[j] / 1000u), '.', (char)('0' + p[j] / 100u % 10u),
                     (char)('0' + p[j] / 10u % 10u), (char)('0' + p[j] % 10u), ',', 0};
        if (j + 1u == m->n_classes) {
            v[5] = 0;
        }
        put_str(&l, v);
    }
    put_str(&l, "]");
    send_line(&l);
}

static void db_print(const ped_app_t *app)
{
    static const char digits[] = "0123456789abcdef";
    line_t l = {.len = 0};
    for (uint32_t i = 0; i < app->input_have; i++) {
        if (i % 8u == 0) {
            put_str(&l, "m-buffer-");
        }
        uint8_t b = (uint8_t)app->input[i];
        char hx[4] = {digits[b >> 4], digits[b & 15u], '-', 0};
        if ((i + 1u) % 8u == 0 || i + 1u == app->input_have) {
            hx[2] = 0;
            put_str(&l, hx);
            send_line(&l);
        } else {
            put_str(&l, hx);
        }
    }
}

static void db(ped_app_t *app, const char *arg1, const char *arg2)
{
    ped_eembc_t *t = &app->text;
    uint32_t cap = app->model->input_len;
    if (!arg1) {
        say("e-[Command 'db' requires a subcommand]", "");
    } else if (strcmp(arg1, "load") == 0) {
        int32_t n = parse_count(arg2);
        if (n <= 0 || (uint32_t)n != cap) {
            say_u64("e-[db load N: this model's input is ", cap, " bytes]");
        } else {
            t->db_expect = (uint32_t)n;
            app->input_have = 0;
            say_u64("m-[Expecting ", (uint64_t)n, " bytes]");
        }
    } else if (strcmp(arg1, "print") == 0) {
        db_print(app);
    } else {
        size_t n = strlen(arg1);
        if (n & 1u) {
            say("e-[Odd number of hex digits]", "");
            return;
        }
        for (size_t i = 0; i < n; i += 2) {
            if (hexval(arg1[i]) < 0 || hexval(arg1[i + 1]) < 0) {
                say("e-[Invalid hex digit]", "");
                return;
            }
        }
        if (app->input_have >= t->db_expect) {
            say("e-[db: no load in progress, send db load N first]", "");
            return;
        }
        for (size_t i = 0; i < n && app->input_have < t->db_expect; i += 2) {
            app->input[app->input_have++] =
                (int8_t)(uint8_t)(hexval(arg1[i]) * 16 + hexval(arg1[i + 1]));
        }
        if (app->input_have == t->db_expect) {
            say("m-load-done", "");
        }
    }
}

static void infer(ped_app_t *app, const char *arg_n, const char *arg_w)
{
    int32_t n = arg_n ? parse_count(arg_n) : 1;
    int32_t w = arg_w ? parse_count(arg_w) : 10;
    if (n <= 0 || w < 0) {
        say("e-[infer N [W]: 1 <= N <= 10000000, 0 <= W <= 10000000]", "");
        return;
    }
    if (app->input_have < app->model->input_len) {
        say("e-[input incomplete: load it with db load N and db HEX]", "");
        return;
    }
    const ped_infer_params_t all = {.deadline_us = 0, .max_stages = 0, .exit_margin = 0};
    say_u64("m-warmup-start-", (uint64_t)w, "");
    for (int32_t i = 0; i < w; i++) {
        ped_app_infer(app, &all);
    }
    say("m-warmup-done", "");
    say_u64("m-infer-start-", (uint64_t)n, "");
    uint64_t t0 = board_micros();
    for (int32_t i = 0; i < n; i++) {
        ped_app_infer(app, &all);
    }
    uint64_t t1 = board_micros();
    say_u64("m-lap-us-", t0, "");
    say_u64("m-lap-us-", t1, "");
    say("m-infer-done", "");
    results(app);
}

static void help(void)
{
    static const char *const lines[] = {
        "ped EEMBC / MLPerf Tiny DUT text mode; commands end in %",
        "name          device name",
        "profile       profile and model key",
        "timestamp     microseconds since boot",
        "db load N     expect N input bytes (the model's input length)",
        "db HEX        input bytes as hex, 31 bytes a command",
        "db print      the input loaded so far",
        "infer N [W]   W warm-up (default 10), then N timed inferences",
        "results       class probabilities of the last inference",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        say(lines[i], "");
    }
}

static void profile(const ped_app_t *app)
{
    const ped_model_t *m = app->model;
    line_t l = {.len = 0};
    put_str(&l, "m-profile-[ped anytime ensemble: ");
    put_u64(&l, m->n_stages);
    put_str(&l, " stages, ");
    put_u64(&l, m->n_classes);
    put_str(&l, " classes, input ");
    put_u64(&l, m->input_len);
    put_str(&l, " bytes]");
    send_line(&l);
    put_str(&l, "m-model-[");
    put_str(&l, m->key ? m->key : "ped");
    put_str(&l, "]");
    send_line(&l);
}

static void run_command(ped_app_t *app, char *cmd)
{
    char *argv[4] = {0, 0, 0, 0};
    int argc = 0;
    for (char *p = cmd; *p && argc < 4;) {
        while (*p == ' ' || *p == '\r' || *p == '\n' || *p == '\t') {
            *p++ = 0;
        }
        if (*p) {
            argv[argc++] = p;
        }
        while (*p && *p != ' ' && *p != '\r' && *p != '\n' && *p != '\t') {
            p++;
        }
    }
    if (argc == 0) {
        return; /* an empty command (a lone '%'): nothing to answer */
    }
    if (strcmp(argv[0], "name") == 0) {
        line_t l = {.len = 0};
        put_str(&l, "m-name-dut-[");
        put_str(&l, board_name());
        put_str(&l, "]");
        send_line(&l);
    } else if (strcmp(argv[0], "profile") == 0) {
        profile(app);
    } else if (strcmp(argv[0], "timestamp") == 0) {
        say_u64("m-lap-us-", board_micros(), "");
    } else if (strcmp(argv[0], "db") == 0) {
        db(app, argv[1], argv[2]);
    } else if (strcmp(argv[0], "infer") == 0) {
        infer(app, argv[1], argv[2]);
    } else if (strcmp(argv[0], "results") == 0) {
        results(app);
    } else if (strcmp(argv[0], "help") == 0) {
        help();
    } else {
        line_t l = {.len = 0};
        put_str(&l, "e-[Unknown command: ");
        put_str(&l, argv[0]);
        put_str(&l, "]");
        send_line(&l);
    }
    say("m-ready", "");
}

void ped_eembc_start(ped_eembc_t *t)
{
    t->len = 0;
    t->overflow = 0;
}

bool ped_eembc_byte(struct ped_app_s *app, uint8_t byte)
{
    ped_eembc_t *t = &app->text;
    if (byte == 0) { /* a frame delimiter inside a text command: drop it, resynchronise */
        return true;
    }
    if (byte != '%') {
        if (t->len < PED_EEMBC_CMD_MAX) {
            t->cmd[t->len++] = (char)byte;
        } else {
            t->overflow = 1;
        }
        return false;
    }
    if (t->overflow) {
        say("e-[Command too long]", "");
        say("m-ready", "");
    } else {
        t->cmd[t->len] = 0;
        run_command(app, t->cmd);
    }
    return true;
}
