#ifndef SPRX_CISAL_H
#define SPRX_CISAL_H
#include <stdint.h>

/* ISA-L's inflate, loaded at run time (dlopen of libisal.so.2), so that building and
   installing sprx need only zlib. The ISA-L declarations this needs are copied, with
   their source, into isal.c; Swift sees only these opaque functions. */

/// Loads libisal.so.2 once and checks that it inflates a known stream; 1 when usable.
int sprx_isal_load(void);

/// Why ISA-L is not usable (dlopen's message, a missing symbol, a failed check); NULL when it is.
const char *sprx_isal_problem(void);

/// The file name of the loaded library with symbolic links resolved (`libisal.so.2.0.30`); NULL when not loaded.
const char *sprx_isal_library_file(void);

/// Whether this build compared its copy of ISA-L's `struct inflate_state` with the real
/// header (`<isa-l/igzip_lib.h>`, libisal-dev) at compile time: 1 when it did.
int sprx_isal_layout_checked_against_header(void);

/// One inflate stream: ISA-L's state for a gzip member's deflate data and trailer.
typedef struct sprx_isal_inflater sprx_isal_inflater;

/// A new stream (crc_flag ISAL_GZIP_NO_HDR_VER: CRC-32 and ISIZE checked), or NULL when
/// ISA-L is not loaded or memory ran out.
sprx_isal_inflater *sprx_isal_inflater_create(void);

/// Frees the stream.
void sprx_isal_inflater_destroy(sprx_isal_inflater *inflater);

/// Readies the stream for the next member's deflate data.
void sprx_isal_inflater_reset(sprx_isal_inflater *inflater);

/// What one `isal_inflate` call did.
typedef struct {
    /// Input bytes consumed and output bytes written.
    uint32_t used_in, used_out;
    /// ISA-L's return code: 0, or one of the negative ISAL_* codes (see isal.c).
    int32_t status;
    /// 1 when the member's trailer has been read (and checked, unless status says otherwise).
    int32_t member_finished;
    /// The CRC-32 of the member's output so far, and its length modulo 2^32.
    uint32_t crc, total_out;
} sprx_isal_step;

/// Inflates from `in` into `out` (either count may be 0).
sprx_isal_step sprx_isal_inflater_run(
    sprx_isal_inflater *inflater, const uint8_t *in, uint32_t in_count, uint8_t *out, uint32_t out_count);

/// ISA-L's return codes for a corrupt stream (igzip_lib.h, ISA-L 2.30).
enum {
    SPRX_ISAL_DECOMP_OK = 0,
    SPRX_ISAL_INVALID_BLOCK = -1,
    SPRX_ISAL_INVALID_SYMBOL = -2,
    SPRX_ISAL_INVALID_LOOKBACK = -3,
    SPRX_ISAL_INVALID_WRAPPER = -4,
    SPRX_ISAL_UNSUPPORTED_METHOD = -5,
    SPRX_ISAL_INCORRECT_CHECKSUM = -6,
};
#endif
