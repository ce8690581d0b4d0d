/* ISA-L's inflate behind sprx's gzip seam, loaded with dlopen.

   The declarations below are copied from ISA-L's public header include/igzip_lib.h as
   shipped in ISA-L 2.30.0 (Debian bookworm: libisal-dev 2.30.0-5, /usr/include/isa-l/
   igzip_lib.h; upstream https://github.com/intel/isa-l, tag v2.30.0), names prefixed
   with sprx_/SPRX_ so that they cannot clash with the real header. `struct inflate_state`
   is the same (up to whitespace) in every release from 2.28.0 to 2.32.1, and the shared
   object has been libisal.so.2 throughout. When the real header is installed the build
   checks the copy against it (below); whatever the build saw, sprx_isal_load inflates a
   known stream, whole and a byte at a time, and refuses the library unless the output,
   the member end, the CRC-32 and a corrupt trailer's error come out right, so a library
   with another layout falls back to zlib instead of misreading memory. */

#define _GNU_SOURCE /* dladdr, Dl_info (glibc) */
#include "sprx_isal.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* igzip_lib.h (2.30.0), "Deflate Compression Standard Defines" and "Inflate
   Implementation Specific Defines", without LONGER_HUFFTABLE (as Debian builds it). */
#define SPRX_ISAL_DEF_MAX_HDR_SIZE 328
#define SPRX_ISAL_DEF_HIST_SIZE (32 * 1024)
#define SPRX_ISAL_DEF_MAX_MATCH 258
#define SPRX_ISAL_DEF_LIT_SYMBOLS 257
#define SPRX_ISAL_DEF_LEN_SYMBOLS 29
#define SPRX_ISAL_DEF_DIST_SYMBOLS 30
#define SPRX_ISAL_DEF_LIT_LEN_SYMBOLS (SPRX_ISAL_DEF_LIT_SYMBOLS + SPRX_ISAL_DEF_LEN_SYMBOLS)
#define SPRX_ISAL_LOOK_AHEAD ((SPRX_ISAL_DEF_MAX_MATCH + 31) & ~31)
#define SPRX_ISAL_DECODE_LONG_BITS 12
#define SPRX_ISAL_DECODE_SHORT_BITS 10
#define SPRX_ISAL_L_REM (21 - SPRX_ISAL_DECODE_LONG_BITS)
#define SPRX_ISAL_S_REM (15 - SPRX_ISAL_DECODE_SHORT_BITS)
#define SPRX_ISAL_L_DUP ((1 << SPRX_ISAL_L_REM) - (SPRX_ISAL_L_REM + 1))
#define SPRX_ISAL_S_DUP ((1 << SPRX_ISAL_S_REM) - (SPRX_ISAL_S_REM + 1))
#define SPRX_ISAL_L_UNUSED \
    ((1 << SPRX_ISAL_L_REM) - (1 << ((SPRX_ISAL_L_REM) / 2)) - (1 << ((SPRX_ISAL_L_REM + 1) / 2)) + 1)
#define SPRX_ISAL_S_UNUSED \
    ((1 << SPRX_ISAL_S_REM) - (1 << ((SPRX_ISAL_S_REM) / 2)) - (1 << ((SPRX_ISAL_S_REM + 1) / 2)) + 1)
#define SPRX_ISAL_L_SIZE (SPRX_ISAL_DEF_LIT_LEN_SYMBOLS + SPRX_ISAL_L_DUP + SPRX_ISAL_L_UNUSED)
#define SPRX_ISAL_S_SIZE (SPRX_ISAL_DEF_DIST_SYMBOLS + SPRX_ISAL_S_DUP + SPRX_ISAL_S_UNUSED)
#define SPRX_ISAL_HUFF_CODE_LARGE_LONG_ALIGNED (SPRX_ISAL_L_SIZE + (-SPRX_ISAL_L_SIZE & 0xf))
#define SPRX_ISAL_HUFF_CODE_SMALL_LONG_ALIGNED (SPRX_ISAL_S_SIZE + (-SPRX_ISAL_S_SIZE & 0xf))

/* igzip_lib.h: crc_flag values and enum isal_block_state (only the value read here). */
#define SPRX_ISAL_GZIP_NO_HDR_VER 6
#define SPRX_ISAL_BLOCK_FINISH 5

/* igzip_lib.h: struct inflate_huff_code_large, inflate_huff_code_small, inflate_state. */
struct sprx_inflate_huff_code_large {
    uint32_t short_code_lookup[1 << (SPRX_ISAL_DECODE_LONG_BITS)];
    uint16_t long_code_lookup[SPRX_ISAL_HUFF_CODE_LARGE_LONG_ALIGNED];
};

struct sprx_inflate_huff_code_small {
    uint16_t short_code_lookup[1 << (SPRX_ISAL_DECODE_SHORT_BITS)];
    uint16_t long_code_lookup[SPRX_ISAL_HUFF_CODE_SMALL_LONG_ALIGNED];
};

struct sprx_inflate_state {
    uint8_t *next_out;
    uint32_t avail_out;
    uint32_t total_out;
    uint8_t *next_in;
    uint64_t read_in;
    uint32_t avail_in;
    int32_t read_in_length;
    struct sprx_inflate_huff_code_large lit_huff_code;
    struct sprx_inflate_huff_code_small dist_huff_code;
    int block_state; /* enum isal_block_state: an int-sized C enum */
    uint32_t dict_length;
    uint32_t bfinal;
    uint32_t crc_flag;
    uint32_t crc;
    uint32_t hist_bits;
    union {
        int32_t type0_block_len;
        int32_t count;
        uint32_t dict_id;
    };
    int32_t write_overflow_lits;
    int32_t write_overflow_len;
    int32_t copy_overflow_length;
    int32_t copy_overflow_distance;
    int16_t wrapper_flag;
    int16_t tmp_in_size;
    int32_t tmp_out_valid;
    int32_t tmp_out_processed;
    uint8_t tmp_in_buffer[SPRX_ISAL_DEF_MAX_HDR_SIZE];
    uint8_t tmp_out_buffer[2 * SPRX_ISAL_DEF_HIST_SIZE + SPRX_ISAL_LOOK_AHEAD];
};

/* The copy, as measured on x86_64 and aarch64 (LP64) against the 2.30.0 header. */
#if UINTPTR_MAX == 0xffffffffffffffffu
_Static_assert(sizeof(struct sprx_inflate_state) == 87368, "struct inflate_state copy: size");
_Static_assert(offsetof(struct sprx_inflate_state, block_state) == 21160, "inflate_state.block_state");
_Static_assert(offsetof(struct sprx_inflate_state, crc_flag) == 21172, "inflate_state.crc_flag");
_Static_assert(offsetof(struct sprx_inflate_state, crc) == 21176, "inflate_state.crc");
#endif

#if defined(__has_include)
#if __has_include(<isa-l/igzip_lib.h>)
#include <isa-l/igzip_lib.h>
#define SPRX_ISAL_HEADER_CHECKED 1
#define SPRX_SAME_FIELD(field)                                                                          \
    _Static_assert(offsetof(struct sprx_inflate_state, field) == offsetof(struct inflate_state, field), \
                   "inflate_state." #field " is where the installed igzip_lib.h puts it")
_Static_assert(sizeof(struct sprx_inflate_state) == sizeof(struct inflate_state), "inflate_state size");
SPRX_SAME_FIELD(next_out);
SPRX_SAME_FIELD(avail_out);
SPRX_SAME_FIELD(total_out);
SPRX_SAME_FIELD(next_in);
SPRX_SAME_FIELD(avail_in);
SPRX_SAME_FIELD(block_state);
SPRX_SAME_FIELD(crc_flag);
SPRX_SAME_FIELD(crc);
SPRX_SAME_FIELD(tmp_out_buffer);
_Static_assert(sizeof(enum isal_block_state) == sizeof(int), "enum isal_block_state is int-sized");
_Static_assert(ISAL_BLOCK_FINISH == SPRX_ISAL_BLOCK_FINISH, "ISAL_BLOCK_FINISH");
_Static_assert(ISAL_GZIP_NO_HDR_VER == SPRX_ISAL_GZIP_NO_HDR_VER, "ISAL_GZIP_NO_HDR_VER");
_Static_assert(ISAL_DECOMP_OK == SPRX_ISAL_DECOMP_OK, "ISAL_DECOMP_OK");
_Static_assert(ISAL_INVALID_BLOCK == SPRX_ISAL_INVALID_BLOCK, "ISAL_INVALID_BLOCK");
_Static_assert(ISAL_INVALID_SYMBOL == SPRX_ISAL_INVALID_SYMBOL, "ISAL_INVALID_SYMBOL");
_Static_assert(ISAL_INVALID_LOOKBACK == SPRX_ISAL_INVALID_LOOKBACK, "ISAL_INVALID_LOOKBACK");
_Static_assert(ISAL_INVALID_WRAPPER == SPRX_ISAL_INVALID_WRAPPER, "ISAL_INVALID_WRAPPER");
_Static_assert(ISAL_UNSUPPORTED_METHOD == SPRX_ISAL_UNSUPPORTED_METHOD, "ISAL_UNSUPPORTED_METHOD");
_Static_assert(ISAL_INCORRECT_CHECKSUM == SPRX_ISAL_INCORRECT_CHECKSUM, "ISAL_INCORRECT_CHECKSUM");
#endif
#endif
#ifndef SPRX_ISAL_HEADER_CHECKED
#define SPRX_ISAL_HEADER_CHECKED 0
#endif

int sprx_isal_layout_checked_against_header(void) { return SPRX_ISAL_HEADER_CHECKED; }

/* igzip_lib.h: void isal_inflate_init(struct inflate_state *), void isal_inflate_reset(
   struct inflate_state *), int isal_inflate(struct inflate_state *). */
typedef void (*sprx_isal_inflate_init_fn)(struct sprx_inflate_state *);
typedef int (*sprx_isal_inflate_fn)(struct sprx_inflate_state *);

static struct {
    sprx_isal_inflate_init_fn init, reset;
    sprx_isal_inflate_fn inflate;
    int usable;
    const char *problem;
    char problem_text[256];
    char library_file[256];
} isal;

static pthread_once_t isal_once = PTHREAD_ONCE_INIT;

/* Room after the state as 2.30 declares it: a libisal.so.2 built with a larger
   inflate_state (another release, other build flags) writes into the slack instead of
   past the allocation, and the known-stream check (which looks at the canary) refuses
   it before any input is read. */
#define SPRX_ISAL_SLACK 65536
#define SPRX_ISAL_CANARY 0xA5

struct sprx_isal_inflater {
    struct sprx_inflate_state state;
    unsigned char slack[SPRX_ISAL_SLACK];
};

/* Whether ISA-L wrote nothing past the state as declared. */
static int slack_untouched(const sprx_isal_inflater *inflater) {
    for (size_t i = 0; i < SPRX_ISAL_SLACK; i++) {
        if (inflater->slack[i] != SPRX_ISAL_CANARY) return 0;
    }
    return 1;
}

static sprx_isal_inflater *create_unchecked(void) {
    sprx_isal_inflater *inflater = calloc(1, sizeof(*inflater));
    if (inflater == NULL) return NULL;
    memset(inflater->slack, SPRX_ISAL_CANARY, SPRX_ISAL_SLACK);
    isal.init(&inflater->state);
    inflater->state.crc_flag = SPRX_ISAL_GZIP_NO_HDR_VER;
    return inflater;
}

sprx_isal_inflater *sprx_isal_inflater_create(void) {
    if (!sprx_isal_load()) return NULL;
    return create_unchecked();
}

void sprx_isal_inflater_destroy(sprx_isal_inflater *inflater) { free(inflater); }

void sprx_isal_inflater_reset(sprx_isal_inflater *inflater) {
    isal.reset(&inflater->state); /* keeps crc_flag (igzip_inflate.c, isal_inflate_reset) */
}

sprx_isal_step sprx_isal_inflater_run(
    sprx_isal_inflater *inflater, const uint8_t *in, uint32_t in_count, uint8_t *out, uint32_t out_count) {
    static uint8_t nothing;
    struct sprx_inflate_state *state = &inflater->state;
    state->next_in = (uint8_t *)(in != NULL ? in : &nothing);
    state->avail_in = in_count;
    state->next_out = out != NULL ? out : &nothing;
    state->avail_out = out_count;
    sprx_isal_step step;
    step.status = isal.inflate(state);
    step.used_in = in_count - state->avail_in;
    step.used_out = out_count - state->avail_out;
    step.member_finished = state->block_state == SPRX_ISAL_BLOCK_FINISH;
    step.crc = state->crc;
    step.total_out = state->total_out;
    return step;
}

/* The known stream: `(sentence) x 6` (480 bytes) as a gzip member's deflate data and
   trailer (CRC-32 0x8c5e9575, ISIZE 480), made with Python's zlib (level 9, wbits 31)
   and its 10-byte header removed. */
static const char known_sentence[] = "sprx checks that ISA-L inflates this known stream before it trusts the library. ";
static const uint8_t known_member[] = {
    0xed, 0xcc, 0xc1, 0x09, 0x80, 0x30, 0x0c, 0x46, 0xe1, 0x55, 0xfe, 0x05, 0x74, 0x07, 0x8f, 0x82, 0x37, 0x27,
    0x48, 0x4b, 0x4a, 0x83, 0xb5, 0x95, 0x24, 0xa2, 0x6e, 0x2f, 0xdd, 0xc2, 0x83, 0xd7, 0xc7, 0xe3, 0xb3, 0x43,
    0x6f, 0xc4, 0xcc, 0x71, 0x33, 0x78, 0x26, 0xc7, 0xbc, 0x4e, 0xc3, 0x02, 0xa9, 0xa9, 0x90, 0x73, 0x6f, 0x62,
    0xd8, 0x6a, 0xbb, 0x2a, 0xcc, 0x95, 0x69, 0x47, 0xe0, 0xd4, 0x94, 0x21, 0x0e, 0xd7, 0xd3, 0xbc, 0x2f, 0x8c,
    0x22, 0x41, 0x49, 0x9f, 0x11, 0xf6, 0x7b, 0x9f, 0xf2, 0x5e,
    /* trailer: CRC-32, ISIZE (little-endian) */
    0x75, 0x95, 0x5e, 0x8c, 0xe0, 0x01, 0x00, 0x00};
enum { known_repeats = 6, known_length = 480, known_crc = 0x8c5e9575u };

/* Inflates `member` fed `in_piece` bytes and given `out_piece` bytes of room a call;
   returns 0 when the output, the member end and the CRC-32 are right, else a reason. */
static const char *check_known_stream(const uint8_t *member, uint32_t count, uint32_t in_piece, uint32_t out_piece,
                                      int32_t *status) {
    uint8_t expected[known_length], output[known_length + 64];
    for (uint32_t i = 0; i < known_repeats; i++)
        memcpy(expected + i * (sizeof(known_sentence) - 1), known_sentence, sizeof(known_sentence) - 1);
    sprx_isal_inflater *inflater = create_unchecked();
    if (inflater == NULL) return "out of memory";
    uint32_t in = 0, out = 0;
    sprx_isal_step step = {0};
    for (int calls = 0; calls < 10000 && !step.member_finished; calls++) {
        uint32_t give = count - in < in_piece ? count - in : in_piece;
        uint32_t room = sizeof(output) - out < out_piece ? (uint32_t)sizeof(output) - out : out_piece;
        step = sprx_isal_inflater_run(inflater, member + in, give, output + out, room);
        in += step.used_in;
        out += step.used_out;
        if (step.status != 0) break;
    }
    int untouched = slack_untouched(inflater);
    sprx_isal_inflater_destroy(inflater);
    *status = step.status;
    if (!untouched) return "writes past the 2.30 inflate_state";
    if (step.status != 0) return "an error";
    if (!step.member_finished) return "no member end";
    if (in != count) return "the wrong input length";
    if (out != known_length || memcmp(output, expected, known_length) != 0) return "the wrong output";
    if (step.crc != known_crc || step.total_out != known_length) return "the wrong CRC-32 or length";
    return NULL;
}

static void load(void) {
    /* SPRX_ISAL_LIBRARY names another file to load, so that tests can see the fallback
       to zlib on a machine that has ISA-L (LD_PRELOAD could load any library anyway). */
    const char *name = getenv("SPRX_ISAL_LIBRARY");
    if (name == NULL || name[0] == 0) name = "libisal.so.2";
    void *library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(isal.problem_text, sizeof(isal.problem_text), "%s", reason != NULL ? reason : "dlopen failed");
        isal.problem = isal.problem_text;
        return;
    }
    isal.init = (sprx_isal_inflate_init_fn)dlsym(library, "isal_inflate_init");
    isal.reset = (sprx_isal_inflate_init_fn)dlsym(library, "isal_inflate_reset");
    isal.inflate = (sprx_isal_inflate_fn)dlsym(library, "isal_inflate");
    if (isal.init == NULL || isal.reset == NULL || isal.inflate == NULL) {
        snprintf(isal.problem_text, sizeof(isal.problem_text),
                 "%s lacks isal_inflate_init, isal_inflate_reset or isal_inflate", name);
        isal.problem = isal.problem_text;
        return;
    }
    Dl_info info;
    char resolved[PATH_MAX];
    if (dladdr((void *)isal.inflate, &info) != 0 && info.dli_fname != NULL) {
        const char *path = realpath(info.dli_fname, resolved) != NULL ? resolved : info.dli_fname;
        const char *slash = strrchr(path, '/');
        snprintf(isal.library_file, sizeof(isal.library_file), "%s", slash != NULL ? slash + 1 : path);
    } else {
        snprintf(isal.library_file, sizeof(isal.library_file), "libisal.so.2");
    }
    int32_t status = 0;
    const char *wrong = check_known_stream(known_member, sizeof(known_member), sizeof(known_member), 4096, &status);
    if (wrong == NULL) wrong = check_known_stream(known_member, sizeof(known_member), 1, 7, &status);
    if (wrong == NULL) {
        uint8_t corrupt[sizeof(known_member)];
        memcpy(corrupt, known_member, sizeof(corrupt));
        corrupt[sizeof(corrupt) - 8] ^= 0xFF; /* the trailer's CRC-32 */
        if (check_known_stream(corrupt, sizeof(corrupt), sizeof(corrupt), 4096, &status) == NULL ||
            status != SPRX_ISAL_INCORRECT_CHECKSUM)
            wrong = "no checksum error for a corrupt trailer";
    }
    if (wrong != NULL) {
        snprintf(isal.problem_text, sizeof(isal.problem_text),
                 "%s failed sprx's known-stream check (%s, status %d): its inflate_state is not ISA-L 2.30's",
                 isal.library_file, wrong, (int)status);
        isal.problem = isal.problem_text;
        return;
    }
    isal.usable = 1;
}

int sprx_isal_load(void) {
    pthread_once(&isal_once, load);
    return isal.usable;
}

const char *sprx_isal_problem(void) {
    sprx_isal_load();
    return isal.usable ? NULL : isal.problem;
}

const char *sprx_isal_library_file(void) {
    sprx_isal_load();
    return isal.usable ? isal.library_file : NULL;
}
