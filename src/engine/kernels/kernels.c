// WebAssembly SIMD128 gradient kernels that run on tfjs-backend-wasm's own heap (the module imports its memory),
// NHWC float32, built by scripts/build-kernels.mjs. Freestanding: no libc, no stack, no data segment (the module
// must not write anything into the shared memory at instantiation), checked by the build script.
// Plain SIMD128 mul + add, no FMA: every lane's result is one IEEE float32 operation after another in a fixed
// order, so the results are bit-identical on every runtime (Node, workerd); relaxed-SIMD FMA would not be.
#include <wasm_simd128.h>

typedef float f32;
#define INLINE static inline __attribute__((always_inline))
#define EXPORT(name) __attribute__((export_name(#name)))

/**
 * acc + a * b. The default build: a multiply, then an add, each rounded (the same bits everywhere). With
 * -DQAUDIT_RELAXED_FMA (scripts/build-kernels.mjs --relaxed, measured only, never shipped): relaxed SIMD's madd, which a
 * runtime may fuse or not; clang 14 emits its pre-standard opcode (0xfd 0xaf), patched by the script to the final
 * f32x4.relaxed_madd (0xfd 0x105, a * b + c).
 */
#ifdef QAUDIT_RELAXED_FMA
#define MADD(acc, a, b) __builtin_wasm_fma_f32x4(a, b, acc)
#else
#define MADD(acc, a, b) wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))
#endif

/** The first n (1..3) floats at p, zeros above: the channel tail of a row. */
INLINE v128_t load_part(const f32 *p, int n) {
  return wasm_f32x4_make(p[0], n > 1 ? p[1] : 0.f, n > 2 ? p[2] : 0.f, 0.f);
}

/** [sum a, sum b, sum c, sum d], each lane sum as ((x0 + x2) + (x1 + x3)). */
INLINE v128_t hsum4(v128_t a, v128_t b, v128_t c, v128_t d) {
  v128_t ab = wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
  v128_t cd = wasm_f32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
  return wasm_f32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

/** Sum of the lanes in hsum4's order, so a channel gets the same bits in a block of 4 or alone. */
INLINE f32 hsum1(v128_t a) {
  v128_t s = wasm_f32x4_add(a, wasm_i32x4_shuffle(a, a, 2, 3, 0, 1));
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1);
}

/** The shape arguments every pixel block takes (plain ints: a struct would be passed through a stack). */
#define GEO_PARAMS int Ci, int Wo, int Co, int KW, int sh, int sw
#define GEO_ARGS Ci, Wo, Co, KW, sh, sw

/**
 * P output pixels (columns c, c+sw, ...) x CB input channels (1 to 4) of dx: the dot products over the output channels
 * co (vectorized, horizontal sum at the end) of dy at every valid tap with the filter rows w[a, b, ci.., :]. (Two
 * accumulators per pixel for one channel, to break the add chain, measured slower: the loads bound that case.)
 * Taps: rows a = a_lo..a_hi step sh reading dy row i = i_hi, i_hi - 1, ...
 */
INLINE void pixel_block(const int P, const int CB, f32 *dx0, int dxs, const f32 *dyn, const f32 *w, int ci, GEO_PARAMS,
                        int a_lo, int a_hi, int i_hi, int b_lo, int b_hi, int j_hi) {
  const struct { int Ci, Wo, Co, KW, sh, sw; } g = {GEO_ARGS};
  v128_t acc[4][4];
  for (int p = 0; p < P; p++)
    for (int q = 0; q < CB; q++) acc[p][q] = wasm_f32x4_splat(0.f);
  const int co4 = g.Co & ~3, cor = g.Co & 3;
  for (int a = a_lo, i = i_hi; a <= a_hi; a += g.sh, i--) {
    for (int b = b_lo, j = j_hi; b <= b_hi; b += g.sw, j--) {
      const f32 *d = dyn + (i * g.Wo + j) * g.Co;
      const f32 *wr = w + ((a * g.KW + b) * g.Ci + ci) * g.Co;
      int co = 0;
      for (; co < co4; co += 4) {
        v128_t dv[4];
        for (int p = 0; p < P; p++) dv[p] = wasm_v128_load(d + p * g.Co + co);
        for (int q = 0; q < CB; q++) {
          v128_t wv = wasm_v128_load(wr + q * g.Co + co);
          for (int p = 0; p < P; p++) acc[p][q] = MADD(acc[p][q], dv[p], wv);
        }
      }
      if (cor) {
        v128_t dv[4];
        for (int p = 0; p < P; p++) dv[p] = load_part(d + p * g.Co + co4, cor);
        for (int q = 0; q < CB; q++) {
          v128_t wv = load_part(wr + q * g.Co + co4, cor);
          for (int p = 0; p < P; p++) acc[p][q] = MADD(acc[p][q], dv[p], wv);
        }
      }
    }
  }
  const v128_t z = wasm_f32x4_splat(0.f);
  for (int p = 0; p < P; p++) {
    f32 *o = dx0 + p * dxs;
    if (CB == 4) {
      wasm_v128_store(o, hsum4(acc[p][0], acc[p][1], acc[p][2], acc[p][3]));
    } else if (CB == 1) {
      o[0] = hsum1(acc[p][0]);
    } else {
      v128_t s = hsum4(acc[p][0], acc[p][1], CB > 2 ? acc[p][2] : z, z);
      o[0] = wasm_f32x4_extract_lane(s, 0);
      o[1] = wasm_f32x4_extract_lane(s, 1);
      if (CB > 2) o[2] = wasm_f32x4_extract_lane(s, 2);
    }
  }
}

/**
 * One out-of-line function per block shape: inlined all into the row loop, V8's register allocation of the one large
 * function made the hot blocks slower (measured on the LeNet's first layer).
 */
#define BLOCK(P, CB)                                                                                             \
  __attribute__((noinline)) static void block_##P##_##CB(f32 *dx0, int dxs, const f32 *dyn, const f32 *w, int ci, \
                                                         GEO_PARAMS, int a_lo, int a_hi, int i_hi, int b_lo,     \
                                                         int b_hi, int j_hi) {                                   \
    pixel_block(P, CB, dx0, dxs, dyn, w, ci, GEO_ARGS, a_lo, a_hi, i_hi, b_lo, b_hi, j_hi);                       \
  }
BLOCK(2, 4)
BLOCK(1, 4)
BLOCK(4, 1)
BLOCK(4, 2)
BLOCK(2, 3)
BLOCK(1, 1)
BLOCK(1, 2)
BLOCK(1, 3)

/** Lowest tap t of one axis for output coordinate x (stride s, pad before p, n dy positions): source index hi. */
#define TAPS(x, p, s, k, n, lo, hi, src)                                                                  \
  do {                                                                                                    \
    int at_ = (x) + (p);                                                                                  \
    src = at_ / (s) < (n) - 1 ? at_ / (s) : (n) - 1;                                                      \
    lo = at_ - src * (s);                                                                                 \
    hi = at_ < (k) - 1 ? at_ : (k) - 1;                                                                   \
  } while (0)

/**
 * dL/dx of an NHWC conv (dilation 1) with filter w [KH, KW, Ci, Co], from dy [N, Ho, Wo, Co]: dx[n, r, c, ci] =
 * sum over taps (a, b) with r = i*sh - pt + a, c = j*sw - pl + b and over co of dy[n, i, j, co] * w[a, b, ci, co].
 * Columns of one stride class are done 4 at a time where they read the same taps (all but the borders).
 */
EXPORT(conv_input_grad)
void conv_input_grad(f32 *dx, const f32 *dy, const f32 *w, int N, int H, int W, int Ci, int Ho, int Wo, int Co, int KH,
                     int KW, int sh, int sw, int pt, int pl) {
  for (int n = 0; n < N; n++) {
    const f32 *dyn = dy + n * Ho * Wo * Co;
    for (int r = 0; r < H; r++) {
      int a_lo, a_hi, i_hi;
      TAPS(r, pt, sh, KH, Ho, a_lo, a_hi, i_hi);
      f32 *dxr = dx + (n * H + r) * W * Ci;
      for (int c0 = 0; c0 < sw && c0 < W; c0++) {
        for (int c = c0; c < W;) {
          int b_lo, b_hi, j_hi, b_lo2, b_hi2, j_hi2;
          TAPS(c, pl, sw, KW, Wo, b_lo, b_hi, j_hi);
          // Pixels done together: 4 (or 2, near the right border) of this stride class that read the same taps.
          int group = 1;
          if (c + 3 * sw < W) {
            TAPS(c + 3 * sw, pl, sw, KW, Wo, b_lo2, b_hi2, j_hi2);
            if (b_lo2 == b_lo && b_hi2 == b_hi && j_hi2 == j_hi + 3) group = 4;
          }
          if (group == 1 && c + sw < W) {
            TAPS(c + sw, pl, sw, KW, Wo, b_lo2, b_hi2, j_hi2);
            if (b_lo2 == b_lo && b_hi2 == b_hi && j_hi2 == j_hi + 1) group = 2;
          }
          f32 *d0 = dxr + c * Ci;
          const int dxs = sw * Ci;
          int ci = 0;
          for (; ci + 4 <= Ci; ci += 4) {
            if (group == 4) {
              block_2_4(d0 + ci, dxs, dyn, w, ci, GEO_ARGS, a_lo, a_hi, i_hi, b_lo, b_hi, j_hi);
              block_2_4(d0 + 2 * dxs + ci, dxs, dyn, w, ci, GEO_ARGS, a_lo, a_hi, i_hi, b_lo, b_hi, j_hi + 2);
            } else if (group == 2) {
              block_2_4(d0 + ci, dxs, dyn, w, ci, GEO_ARGS, a_lo, a_hi, i_hi, b_lo, b_hi, j_hi);
            } else {
              block_1_4(d0 + ci, dxs, dyn, w, ci, GEO_ARGS, a_lo, a_hi, i_hi, b_lo, b_hi, j_hi);
            }
          }
          // The 1-3 channels left (a first layer's 1 or 3) in one block per group (per pixel in a group of 2).
#define TAIL(P, CB, c) block_##P##_##CB(d0 + (c) * dxs + ci, dxs, dyn, w, ci, GEO_ARGS, a_lo, a_hi, i_hi, b_lo, b_hi, j_hi + (c))
          for (int p = 0; p < (group == 2 ? 2 : 1); p++) {
            switch ((Ci - ci) + (group == 4 ? 4 : 0)) {
              case 1: TAIL(1, 1, p); break;
              case 2: TAIL(1, 2, p); break;
              case 3: TAIL(1, 3, p); break;
              case 5: TAIL(4, 1, 0); break;
              case 6: TAIL(4, 2, 0); break;
              case 7: TAIL(2, 3, 0); TAIL(2, 3, 2); break;
              default: break;
            }
          }
#undef TAIL
          c += group * sw;
        }
      }
    }
  }
}

/**
 * dL/dx of max pooling: each window's dy goes to its FIRST maximum in row-major order (TensorFlow's rule), summed
 * where windows overlap, windows visited in the same order as the JS loop of ops/heap.ts (so the same bits).
 */
EXPORT(max_pool_grad)
void max_pool_grad(f32 *dx, const f32 *dy, const f32 *x, const f32 *y, int N, int H, int W, int C, int Ho, int Wo,
                   int KH, int KW, int sh, int sw, int pt, int pl) {
  const int total = N * H * W * C;
  int z = 0;
  for (; z + 4 <= total; z += 4) wasm_v128_store(dx + z, wasm_f32x4_splat(0.f));
  for (; z < total; z++) dx[z] = 0.f;
  const int C4 = C & ~3;
  for (int n = 0; n < N; n++) {
    for (int i = 0; i < Ho; i++) {
      int r0 = i * sh - pt, r1 = r0 + KH;
      if (r0 < 0) r0 = 0;
      if (r1 > H) r1 = H;
      for (int j = 0; j < Wo; j++) {
        int c0 = j * sw - pl, c1 = c0 + KW;
        if (c0 < 0) c0 = 0;
        if (c1 > W) c1 = W;
        const int yo = ((n * Ho + i) * Wo + j) * C;
        for (int c = 0; c < C4; c += 4) {
          const v128_t yv = wasm_v128_load(y + yo + c), dv = wasm_v128_load(dy + yo + c);
          v128_t free = wasm_i32x4_splat(-1);
          for (int r = r0; r < r1; r++) {
            for (int col = c0; col < c1; col++) {
              const int k = ((n * H + r) * W + col) * C + c;
              v128_t hit = wasm_v128_and(wasm_f32x4_eq(wasm_v128_load(x + k), yv), free);
              if (wasm_v128_any_true(hit)) {
                free = wasm_v128_andnot(free, hit);
                wasm_v128_store(dx + k, wasm_f32x4_add(wasm_v128_load(dx + k), wasm_v128_and(dv, hit)));
              }
            }
          }
        }
        for (int c = C4; c < C; c++) {
          const f32 yv = y[yo + c];
          for (int r = r0, done = 0; r < r1 && !done; r++) {
            for (int col = c0; col < c1; col++) {
              const int k = ((n * H + r) * W + col) * C + c;
              if (x[k] == yv) { dx[k] += dy[yo + c]; done = 1; break; }
            }
          }
        }
      }
    }
  }
}

/**
 * dL/dx of an NHWC depthwise conv with channel multiplier 1 (filter [KH, KW, C, 1]) from dy [N, Ho, Wo, C]:
 * dx[n, r, c, ch] = sum over valid taps of dy[n, i, j, ch] w[a, b, ch]. Vectorized over channels, 16 at a time in
 * four independent accumulators, then 4, then one by one; taps in the same order for every channel.
 */
EXPORT(depthwise_input_grad)
void depthwise_input_grad(f32 *dx, const f32 *dy, const f32 *w, int N, int H, int W, int C, int Ho, int Wo, int KH,
                          int KW, int sh, int sw, int pt, int pl) {
  const int C16 = C & ~15, C4 = C & ~3;
  for (int n = 0; n < N; n++) {
    const f32 *dyn = dy + n * Ho * Wo * C;
    for (int r = 0; r < H; r++) {
      int a_lo, a_hi, i_hi;
      TAPS(r, pt, sh, KH, Ho, a_lo, a_hi, i_hi);
      for (int c = 0; c < W; c++) {
        int b_lo, b_hi, j_hi;
        TAPS(c, pl, sw, KW, Wo, b_lo, b_hi, j_hi);
        f32 *o = dx + ((n * H + r) * W + c) * C;
        int ch = 0;
        for (; ch < C16; ch += 16) {
          v128_t s0 = wasm_f32x4_splat(0.f), s1 = s0, s2 = s0, s3 = s0;
          for (int a = a_lo, i = i_hi; a <= a_hi; a += sh, i--) {
            for (int b = b_lo, j = j_hi; b <= b_hi; b += sw, j--) {
              const f32 *d = dyn + (i * Wo + j) * C + ch, *wr = w + (a * KW + b) * C + ch;
              s0 = MADD(s0, wasm_v128_load(d), wasm_v128_load(wr));
              s1 = MADD(s1, wasm_v128_load(d + 4), wasm_v128_load(wr + 4));
              s2 = MADD(s2, wasm_v128_load(d + 8), wasm_v128_load(wr + 8));
              s3 = MADD(s3, wasm_v128_load(d + 12), wasm_v128_load(wr + 12));
            }
          }
          wasm_v128_store(o + ch, s0);
          wasm_v128_store(o + ch + 4, s1);
          wasm_v128_store(o + ch + 8, s2);
          wasm_v128_store(o + ch + 12, s3);
        }
        for (; ch < C4; ch += 4) {
          v128_t s = wasm_f32x4_splat(0.f);
          for (int a = a_lo, i = i_hi; a <= a_hi; a += sh, i--)
            for (int b = b_lo, j = j_hi; b <= b_hi; b += sw, j--)
              s = MADD(s, wasm_v128_load(dyn + (i * Wo + j) * C + ch), wasm_v128_load(w + (a * KW + b) * C + ch));
          wasm_v128_store(o + ch, s);
        }
        for (; ch < C; ch++) {
          f32 s = 0.f;
          for (int a = a_lo, i = i_hi; a <= a_hi; a += sh, i--)
            for (int b = b_lo, j = j_hi; b <= b_hi; b += sw, j--) s += dyn[(i * Wo + j) * C + ch] * w[(a * KW + b) * C + ch];
          o[ch] = s;
        }
      }
    }
  }
}

/**
 * dL/d(pre-activation) of a fused ReLU (six = 0) or ReLU6 (six = 1) from dy and the saved output y, as ops/conv.ts's
 * tfjs form computes it: dy * step(y) or dy * step(y * (6 - y)), where tfjs-backend-wasm's step is 1 above 0, NaN
 * for NaN, else 0. One pass instead of 2-4 kernels: the same values (NaN payloads aside).
 */
EXPORT(activation_grad)
void activation_grad(f32 *out, const f32 *dy, const f32 *y, int n, int six) {
  const v128_t zero = wasm_f32x4_splat(0.f), one = wasm_f32x4_splat(1.f), nan = wasm_f32x4_splat(__builtin_nanf(""));
  const v128_t six4 = wasm_f32x4_splat(6.f);
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    v128_t t = wasm_v128_load(y + k);
    if (six) t = wasm_f32x4_mul(t, wasm_f32x4_sub(six4, t));
    v128_t step = wasm_v128_or(wasm_v128_and(wasm_f32x4_gt(t, zero), one), wasm_v128_and(wasm_f32x4_ne(t, t), nan));
    wasm_v128_store(out + k, wasm_f32x4_mul(wasm_v128_load(dy + k), step));
  }
  for (; k < n; k++) {
    f32 t = six ? y[k] * (6.f - y[k]) : y[k];
    out[k] = dy[k] * (t > 0.f ? 1.f : t != t ? __builtin_nanf("") : 0.f);
  }
}
