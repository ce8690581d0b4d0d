#ifndef SPRX_CZLIB_SHIM_H
#define SPRX_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 and deflateInit2 are macros in zlib.h, which Swift cannot call.
   These static inline functions are the whole C seam. */

/// Starts inflating gzip (windowBits 15 + 16: gzip wrapper only, CRC and ISIZE checked).
static inline int sprx_inflate_init_gzip(z_streamp strm) {
    return inflateInit2(strm, 15 + 16);
}

/// Starts deflating into a gzip member (mtime 0, so equal input gives equal bytes).
static inline int sprx_deflate_init_gzip(z_streamp strm, int level) {
    return deflateInit2(strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
