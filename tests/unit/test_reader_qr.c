/* test_reader_qr.c -- unit tests of reader_label (QR labels) and of the
 * "qr:" reader (zbar over PNG/JPEG files).
 *
 * The round trip: labels are rendered with reader_label for several Digital
 * Link URIs (short, with percent-escapes, ~1000 bytes, upper case) at each
 * error correction level, then read back through reader_open("qr:<file>");
 * the read must be exactly the text given.  The quiet zone is checked pixel
 * by pixel.  Images in other layouts (PNG: palette, palette with tRNS,
 * 1/16-bit grey, RGB, RGBA, 16-bit grey+alpha, Adam7; JPEG: grey,
 * progressive RGB, CMYK) are written here with libqrencode + libpng/libjpeg
 * directly, independently of reader_label.  Linear codes drawn here from
 * the symbology standards: a GS1-128 symbol must read as "]C1" + the
 * element string with GS for the separator FNC1 (GS1 General
 * Specifications), an EAN-13 as its 13 digits.  A QR code in FNC1-second
 * mode must come back with ]Q5 and GS separators (ISO/IEC 18004).
 * Bad input: a missing file, a non-image, an empty file, a truncated PNG, a
 * PNG header claiming 400 megapixels, an image with no code, a truncated
 * JPEG -> the errors the contract names, and the next file is still read.
 * SVG labels must be well-formed XML holding the text; label errors (too
 * long for the level, bad options, unwritable path) are checked too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jpeglib.h>
#include <png.h>
#include <qrencode.h>

#include "reader.h"
#include "reader_label.h"

static char tmpdir[512];

/* A path in the test directory; the result stays valid for the next 31
 * calls (so that one snprintf can take several). */
static const char *tpath(const char *name)
{
    static char buf[32][600];
    static int k;
    k = (k + 1) % 32;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_reader_qr.XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Reads one code from uri and checks it is exactly want, then READER_END. */
static void expect_single(const char *uri, const char *want, size_t want_len, const char *want_type)
{
    reader_t *r = NULL;
    reader_read_t rd = {0};
    ledger_err_t err = {0};
    int rc = reader_open(&r, uri, &err);
    if (rc != 0)
        fail_msg("open %s: %s", uri, err.msg);
    rc = reader_poll(r, 0, &rd, &err);
    if (rc != READER_READ)
        fail_msg("%s: rc %d: %s", uri, rc, err.msg);
    assert_int_equal(rd.code_len, want_len);
    assert_memory_equal(rd.code, want, want_len);
    assert_int_equal(rd.code[want_len], '\0');
    if (want_type)
        assert_string_equal(rd.tag_type, want_type);
    assert_non_null(rd.source);
    assert_non_null(strstr(uri, rd.source));
    assert_null(rd.uid);
    assert_true(rd.time_ms > 1700000000000LL);
    assert_int_equal(reader_poll(r, 0, &rd, &err), READER_END);
    assert_null(rd.code);
    assert_int_equal(reader_poll(r, 0, &rd, &err), READER_END);
    reader_read_clear(&rd);
    reader_close(r);
}

/* ---- labels round trip ------------------------------------------------------ */

static char long_uri[1200];

static const char *uris[] = {
    "https://id.gs1.org/01/09506000134352/10/ABC123/21/SN001",
    "https://id.gs1.org/01/09506000134352/10/AB%2F12%20C%25?17=201231&3103=000500",
    "HTTPS://ID.GS1.ORG/01/09506000134352/21/12345",
    long_uri,
};

static void make_long_uri(void)
{
    /* ~1000 bytes: a Digital Link with many attributes and escaped values. */
    size_t n = (size_t)snprintf(long_uri, sizeof long_uri,
                                "https://example.com/01/05412345000013/10/LOT%%2F2026-11/21/"
                                "SERIAL%%20WITH%%20SPACES?17=271231");
    for (int i = 0; n < 1000; i++)
        n += (size_t)snprintf(long_uri + n, sizeof long_uri - n, "&7%03d=value%%26more-%d",
                              240 + i % 10, i);
}

static void test_label_png_roundtrip(void **state)
{
    (void)state;
    const char levels[] = "LMQH";
    make_long_uri();
    for (size_t u = 0; u < sizeof uris / sizeof uris[0]; u++) {
        for (int l = 0; l < 4; l++) {
            reader_label_opts_t o = {.ec_level = levels[l], .module_px = 4};
            reader_label_info_t info = {0};
            ledger_err_t err = {0};
            char name[64], uri[1100];
            snprintf(name, sizeof name, "rt_%zu_%c.png", u, levels[l]);
            const char *path = tpath(name);
            int rc = reader_label_write(path, uris[u], &o, &info, &err);
            if (rc != 0)
                fail_msg("label %zu %c: %s", u, levels[l], err.msg);
            assert_int_equal(info.ec_level, levels[l]);
            assert_int_equal(info.modules, 17 + 4 * info.version);
            assert_int_equal(info.width, (info.modules + 8) * 4);
            assert_true(info.caption_lines >= 1);
            assert_true(info.height > info.width);
            snprintf(uri, sizeof uri, "qr:%s", path);
            expect_single(uri, uris[u], strlen(uris[u]), "QR-Code");
        }
    }
}

/* The quiet zone: the first 4 modules on every side of the code are white,
 * and the finder pattern's corner module right inside it is black. */
static void test_label_quiet_zone(void **state)
{
    (void)state;
    const int m = 5;
    reader_label_opts_t o = {.module_px = m, .no_caption = 1};
    reader_label_info_t info = {0};
    ledger_err_t err = {0};
    const char *path = tpath("quiet.png");
    assert_int_equal(reader_label_write(path, uris[0], &o, &info, &err), 0);
    assert_int_equal(info.caption_lines, 0);

    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_file(&img, path));
    img.format = PNG_FORMAT_GRAY;
    unsigned char *px = malloc(PNG_IMAGE_SIZE(img));
    assert_non_null(px);
    assert_true(png_image_finish_read(&img, NULL, px, 0, NULL));
    int w = (int)img.width, h = (int)img.height, q = 4 * m;
    assert_int_equal(w, info.width);
    assert_int_equal(h, w);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (x < q || y < q || x >= w - q || y >= h - q)
                assert_int_equal(px[y * w + x], 255);
    assert_int_equal(px[q * w + q], 0);           /* top-left finder */
    assert_int_equal(px[q * w + (w - q - 1)], 0); /* top-right finder */
    assert_int_equal(px[(h - q - 1) * w + q], 0); /* bottom-left finder */
    assert_int_equal(
        px[(h - q - 1) * w + (w - q - 1)] == 0 || px[(h - q - 1) * w + (w - q - 1)] == 255, 1);
    free(px);
}

/* ---- images written here, independently of reader_label ---------------------- */

/* A QR of text as a grey raster (0 = black, 255 = white), m px per module,
 * 4 modules of quiet zone. */
static unsigned char *raster_of(QRcode *qr, int m, int *w)
{
    int side = (qr->width + 8) * m;
    unsigned char *px = malloc((size_t)side * side);
    assert_non_null(px);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            int mx = x / m - 4, my = y / m - 4, dark = 0;
            if (mx >= 0 && my >= 0 && mx < qr->width && my < qr->width)
                dark = qr->data[my * qr->width + mx] & 1;
            px[y * side + x] = dark ? 0 : 255;
        }
    *w = side;
    return px;
}

static unsigned char *raster(const char *text, int m, int *w)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(qr);
    unsigned char *px = raster_of(qr, m, w);
    QRcode_free(qr);
    return px;
}

enum { V_GREY8, V_GREY16, V_GREY1, V_PALETTE, V_PALETTE_TRNS, V_RGB, V_RGBA, V_GA16, V_RGB_ADAM7 };

static void write_png_variant(const char *path, const unsigned char *g, int w, int h, int v)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng failed writing %s", path);
    png_init_io(png, f);
    int depth = 8, ct = PNG_COLOR_TYPE_GRAY, il = PNG_INTERLACE_NONE, bpp = 1;
    switch (v) {
    case V_GREY16:
        depth = 16, bpp = 2;
        break;
    case V_GREY1:
        depth = 1;
        break;
    case V_PALETTE:
    case V_PALETTE_TRNS:
        ct = PNG_COLOR_TYPE_PALETTE;
        break;
    case V_RGB:
        ct = PNG_COLOR_TYPE_RGB, bpp = 3;
        break;
    case V_RGB_ADAM7:
        ct = PNG_COLOR_TYPE_RGB, bpp = 3, il = PNG_INTERLACE_ADAM7;
        break;
    case V_RGBA:
        ct = PNG_COLOR_TYPE_RGB_ALPHA, bpp = 4;
        break;
    case V_GA16:
        ct = PNG_COLOR_TYPE_GRAY_ALPHA, depth = 16, bpp = 4;
        break;
    }
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, ct, il,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (ct == PNG_COLOR_TYPE_PALETTE) {
        /* index 0: dark blue ink, index 1: a light yellow paper, or a
         * fully transparent "paper" that must be laid over white */
        png_color pal[2] = {{10, 20, 90}, {250, 240, 200}};
        png_set_PLTE(png, info, pal, 2);
        if (v == V_PALETTE_TRNS) {
            png_byte trns[2] = {255, 0};
            png_set_tRNS(png, info, trns, 2, NULL);
        }
    }
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    unsigned char *row = malloc((size_t)w * (size_t)bpp + 8);
    assert_non_null(row);
    for (int pass = 0; pass < passes; pass++)
        for (int y = 0; y < h; y++) {
            memset(row, 0, (size_t)w * (size_t)bpp + 8);
            for (int x = 0; x < w; x++) {
                unsigned char k = g[y * w + x];
                int dark = k < 128;
                switch (v) {
                case V_GREY8:
                    row[x] = k;
                    break;
                case V_GREY16: /* big-endian 16-bit */
                    row[2 * x] = k, row[2 * x + 1] = k;
                    break;
                case V_GREY1:
                    if (!dark)
                        row[x >> 3] |= (unsigned char)(0x80 >> (x & 7));
                    break;
                case V_PALETTE:
                case V_PALETTE_TRNS:
                    row[x] = dark ? 0 : 1;
                    break;
                case V_RGB:
                case V_RGB_ADAM7: /* dark red ink on light green paper */
                    row[3 * x] = dark ? 90 : 220, row[3 * x + 1] = dark ? 0 : 250,
                            row[3 * x + 2] = dark ? 0 : 220;
                    break;
                case V_RGBA: /* black ink, transparent paper (colour black!) */
                    row[4 * x] = row[4 * x + 1] = row[4 * x + 2] = 0;
                    row[4 * x + 3] = dark ? 255 : 0;
                    break;
                case V_GA16: /* black ink, transparent black paper, 16-bit */
                    row[4 * x] = row[4 * x + 1] = 0;
                    row[4 * x + 2] = row[4 * x + 3] = dark ? 255 : 0;
                    break;
                }
            }
            png_write_row(png, row);
        }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
    assert_int_equal(fclose(f), 0);
}

static void test_png_variants(void **state)
{
    (void)state;
    const char *text = "https://id.gs1.org/01/09506000134352/10/V%C3%A4R?3103=000189";
    static const char *const names[] = {"grey8", "grey16", "grey1", "palette",  "palette_trns",
                                        "rgb",   "rgba",   "ga16",  "rgb_adam7"};
    int w;
    unsigned char *g = raster(text, 3, &w);
    for (int v = V_GREY8; v <= V_RGB_ADAM7; v++) {
        char name[64], uri[1100];
        snprintf(name, sizeof name, "v_%s.png", names[v]);
        write_png_variant(tpath(name), g, w, w, v);
        snprintf(uri, sizeof uri, "qr:%s", tpath(name));
        expect_single(uri, text, strlen(text), "QR-Code");
    }
    free(g);
}

/* Writes g as a JPEG: components 1 (grey), 3 (progressive RGB) or 4 (CMYK
 * with Adobe's inverted convention, 255 = no ink, as Photoshop writes). */
static void write_jpeg(const char *path, const unsigned char *g, int w, int h, int comps,
                       int quality)
{
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr je;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    ci.err = jpeg_std_error(&je);
    jpeg_create_compress(&ci);
    jpeg_stdio_dest(&ci, f);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = comps;
    ci.in_color_space = comps == 1 ? JCS_GRAYSCALE : comps == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, quality, TRUE);
    if (comps == 3)
        jpeg_simple_progression(&ci);
    jpeg_start_compress(&ci, TRUE);
    unsigned char *row = malloc((size_t)w * 4);
    assert_non_null(row);
    while (ci.next_scanline < ci.image_height) {
        const unsigned char *src = g + (size_t)ci.next_scanline * (size_t)w;
        for (int x = 0; x < w; x++) {
            if (comps == 1)
                row[x] = src[x];
            else if (comps == 3)
                row[3 * x] = src[x], row[3 * x + 1] = src[x] ? 245 : 30, row[3 * x + 2] = src[x];
            else
                memset(row + 4 * x, src[x] ? 255 : 0, 4);
        }
        JSAMPROW rp = row;
        jpeg_write_scanlines(&ci, &rp, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    free(row);
    assert_int_equal(fclose(f), 0);
}

static void test_jpeg(void **state)
{
    (void)state;
    const char *text = "https://id.gs1.org/01/09506000134352/21/JPEG-42";
    char uri[2300];
    int w;
    unsigned char *g = raster(text, 5, &w);
    write_jpeg(tpath("grey.jpg"), g, w, w, 1, 85);
    write_jpeg(tpath("rgb_progressive.JPEG"), g, w, w, 3, 75);
    write_jpeg(tpath("cmyk.jpeg"), g, w, w, 4, 90);
    free(g);
    snprintf(uri, sizeof uri, "qr:%s", tpath("grey.jpg"));
    expect_single(uri, text, strlen(text), "QR-Code");
    snprintf(uri, sizeof uri, "qr:%s", tpath("rgb_progressive.JPEG"));
    expect_single(uri, text, strlen(text), "QR-Code");
    snprintf(uri, sizeof uri, "qr:%s", tpath("cmyk.jpeg"));
    expect_single(uri, text, strlen(text), "QR-Code");
}

/* ---- bad input ----------------------------------------------------------------- */

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* A PNG signature, an IHDR chunk for a w x h grey image, an empty IDAT and
 * IEND (all CRCs right): the header is valid, the pixels are not there. */
static void write_png_header_only(const char *path, uint32_t w, uint32_t h)
{
    unsigned char b[8 + 25 + 12 + 12] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    put32(b + 8, 13);
    memcpy(b + 12, "IHDR", 4);
    put32(b + 16, w);
    put32(b + 20, h);
    b[24] = 8, b[25] = 0, b[26] = 0, b[27] = 0, b[28] = 0;
    put32(b + 29, crc32_of(b + 12, 17));
    put32(b + 33, 0);
    memcpy(b + 37, "IDAT", 4);
    put32(b + 41, crc32_of(b + 37, 4));
    put32(b + 45, 0);
    memcpy(b + 49, "IEND", 4);
    put32(b + 53, crc32_of(b + 49, 4));
    write_file(path, b, sizeof b);
}

static size_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (size_t)st.st_size;
}

static void copy_prefix(const char *from, const char *to, size_t n)
{
    FILE *f = fopen(from, "rb");
    assert_non_null(f);
    unsigned char *b = malloc(n);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, n, f), n);
    fclose(f);
    write_file(to, b, n);
    free(b);
}

typedef struct {
    int rc;
    const char *code;   /* for READER_READ */
    const char *in_msg; /* for errors: must appear in the message */
    const char *in_msg2;
} step_t;

static void expect_steps(const char *uri, const step_t *steps, size_t n)
{
    reader_t *r = NULL;
    reader_read_t rd = {0};
    ledger_err_t err = {0};
    if (reader_open(&r, uri, &err) != 0)
        fail_msg("open %s: %s", uri, err.msg);
    for (size_t i = 0; i < n; i++) {
        ledger_err_clear(&err);
        int rc = reader_poll(r, 10, &rd, &err);
        if (rc != steps[i].rc)
            fail_msg("step %zu: rc %d, want %d (%s%s%s)", i, rc, steps[i].rc, err.msg,
                     rc == READER_READ ? "read from " : "", rc == READER_READ ? rd.source : "");
        if (rc == READER_READ)
            assert_string_equal(rd.code, steps[i].code);
        if (rc < 0) {
            assert_int_equal(err.code, rc);
            if (steps[i].in_msg && !strstr(err.msg, steps[i].in_msg))
                fail_msg("step %zu: '%s' not in '%s'", i, steps[i].in_msg, err.msg);
            if (steps[i].in_msg2 && !strstr(err.msg, steps[i].in_msg2))
                fail_msg("step %zu: '%s' not in '%s'", i, steps[i].in_msg2, err.msg);
            assert_null(rd.code);
        }
    }
    reader_read_clear(&rd);
    reader_close(r);
}

static void test_bad_files_then_next(void **state)
{
    (void)state;
    ledger_err_t err = {0};
    const char *a = "https://id.gs1.org/01/09506000134352/21/A";
    const char *b = "https://id.gs1.org/01/09506000134352/21/B";
    reader_label_opts_t o = {.module_px = 3};
    assert_int_equal(reader_label_write(tpath("a.png"), a, &o, NULL, &err), 0);
    assert_int_equal(reader_label_write(tpath("b.png"), b, &o, NULL, &err), 0);
    write_file(tpath("notes.txt"), "this is not an image\n", 21);
    write_file(tpath("empty.png"), "", 0);
    copy_prefix(tpath("a.png"), tpath("trunc.png"), file_size(tpath("a.png")) / 2);
    copy_prefix(tpath("a.png"), tpath("trunc_sig.png"), 5);
    write_png_header_only(tpath("huge.png"), 20000, 20000);
    /* a white image: a valid PNG with no code */
    unsigned char white[64 * 64];
    memset(white, 255, sizeof white);
    write_png_variant(tpath("white.png"), white, 64, 64, V_GREY8);
    /* a JPEG cut in half: still an image, but no code in what is left */
    int w;
    unsigned char *g = raster(a, 6, &w);
    write_jpeg(tpath("full.jpg"), g, w, w, 1, 90);
    free(g);
    copy_prefix(tpath("full.jpg"), tpath("trunc.jpg"), file_size(tpath("full.jpg")) / 3);

    char uri[8192];
    snprintf(uri, sizeof uri, "qr:%s,%s,%s,%s,%s,%s,%s,%s,%s,%s", tpath("a.png"),
             tpath("missing.png"), tpath("notes.txt"), tpath("empty.png"), tpath("trunc.png"),
             tpath("trunc_sig.png"), tpath("huge.png"), tpath("white.png"), tpath("trunc.jpg"),
             tpath("b.png"));
    const step_t steps[] = {
        {READER_READ, a, NULL, NULL},
        {LEDGER_EIO, NULL, "missing.png", "No such file"},
        {LEDGER_EINPUT, NULL, "notes.txt", "not a PNG or JPEG"},
        {LEDGER_EINPUT, NULL, "empty.png", "empty"},
        {LEDGER_EINPUT, NULL, "trunc.png", "truncated"},
        {LEDGER_EINPUT, NULL, "trunc_sig.png", "not a PNG or JPEG"},
        {LEDGER_EINPUT, NULL, "huge.png", "100 megapixels"},
        {LEDGER_EINPUT, NULL, "white.png", "no QR code or barcode"},
        {LEDGER_EINPUT, NULL, "trunc.jpg", "Premature end"},
        {READER_READ, b, NULL, NULL},
        {READER_END, NULL, NULL, NULL},
        {READER_END, NULL, NULL, NULL},
    };
    expect_steps(uri, steps, sizeof steps / sizeof steps[0]);
}

/* ---- linear barcodes ------------------------------------------------------------- */

/* Code 128 symbol patterns (ISO/IEC 15417), widths of bar, space, bar,
 * space, bar, space in modules, by symbol value 0..105; 106 is the stop
 * pattern with its final bar. */
static const char *const c128[107] = {
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312",  "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122",  "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122",  "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123",  "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331",  "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311",  "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411",  "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412",  "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",  "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211",  "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113",  "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
};

/* Draws a row of modules (1 = bar) as an image m px per module, h px high,
 * with a quiet zone of q modules on both sides. */
static unsigned char *draw_modules(const char *bits, int m, int h, int q, int *w)
{
    int n = (int)strlen(bits);
    *w = (n + 2 * q) * m;
    unsigned char *g = malloc((size_t)*w * h);
    assert_non_null(g);
    memset(g, 255, (size_t)*w * h);
    for (int y = 0; y < h; y++)
        for (int i = 0; i < n; i++)
            if (bits[i] == '1')
                memset(g + (size_t)y * *w + (size_t)(q + i) * m, 0, (size_t)m);
    return g;
}

/* Appends one Code 128 symbol as module bits. */
static void c128_put(char *bits, int value)
{
    const char *p = c128[value];
    char *o = bits + strlen(bits);
    for (int k = 0; p[k]; k++)
        for (int j = 0; j < p[k] - '0'; j++)
            *o++ = k % 2 == 0 ? '1' : '0';
    *o = 0;
}

static void test_linear_codes(void **state)
{
    (void)state;
    /* The table itself: 3 bars of even total, 3 spaces of odd total, 11
     * modules, all different. */
    for (int i = 0; i < 106; i++) {
        int bars = 0, spaces = 0;
        for (int k = 0; k < 6; k++)
            *(k % 2 ? &spaces : &bars) += c128[i][k] - '0';
        assert_int_equal(bars % 2, 0);
        assert_int_equal(spaces % 2, 1);
        assert_int_equal(bars + spaces, 11);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(c128[i], c128[j]);
    }

    /* GS1-128: Start C, FNC1, (01)05412345000013 (10)LOT42 FNC1 (21)SN7.
     * GS1 General Specifications: a scanner transmits "]C1", the data, and
     * GS for each FNC1 separator. */
    int vals[64], nv = 0;
    vals[nv++] = 105; /* Start C */
    vals[nv++] = 102; /* FNC1: GS1-128 */
    const char *digits = "010541234500001310";
    for (int i = 0; digits[i]; i += 2)
        vals[nv++] = (digits[i] - '0') * 10 + digits[i + 1] - '0';
    vals[nv++] = 100; /* Code B */
    for (const char *c = "LOT42"; *c; c++)
        vals[nv++] = *c - 32;
    vals[nv++] = 102; /* FNC1: separator after a variable-length field */
    for (const char *c = "21SN7"; *c; c++)
        vals[nv++] = *c - 32;
    int sum = vals[0];
    for (int i = 1; i < nv; i++)
        sum += i * vals[i];
    vals[nv++] = sum % 103;
    vals[nv++] = 106;
    char bits[1024] = "";
    for (int i = 0; i < nv; i++)
        c128_put(bits, vals[i]);
    int w;
    unsigned char *g = draw_modules(bits, 3, 80, 12, &w);
    write_png_variant(tpath("gs1-128.png"), g, w, 80, V_GREY8);
    free(g);
    char uri[1100];
    snprintf(uri, sizeof uri, "qr:%s", tpath("gs1-128.png"));
    const char want[] = "]C1010541234500001310LOT42\x1d"
                        "21SN7";
    expect_single(uri, want, sizeof want - 1, "CODE-128");

    /* EAN-13 4006381333931: first digit 4 -> parity LGLLGG. */
    static const char *const lcode[10] = {"0001101", "0011001", "0010011", "0111101", "0100011",
                                          "0110001", "0101111", "0111011", "0110111", "0001011"};
    const char *ean = "4006381333931", *parity = "LGLLGG";
    strcpy(bits, "101");
    for (int i = 1; i <= 12; i++) {
        char code[8];
        const char *l = lcode[ean[i] - '0'];
        for (int k = 0; k < 7; k++) {
            int bit = l[k] - '0';
            if (i <= 6 && parity[i - 1] == 'G')
                bit = !(l[6 - k] - '0'); /* G = R reversed, R = L inverted */
            else if (i > 6)
                bit = !bit; /* R */
            code[k] = (char)('0' + bit);
        }
        code[7] = 0;
        strcat(bits, code);
        if (i == 6)
            strcat(bits, "01010");
    }
    strcat(bits, "101");
    g = draw_modules(bits, 3, 80, 12, &w);
    write_png_variant(tpath("ean13.png"), g, w, 80, V_GREY8);
    free(g);
    snprintf(uri, sizeof uri, "qr:%s", tpath("ean13.png"));
    expect_single(uri, ean, strlen(ean), "EAN-13");
}

static void test_directory(void **state)
{
    (void)state;
    ledger_err_t err = {0};
    char dir[1024], uri[1100], p[1100];
    reader_label_opts_t o = {.module_px = 3};
    snprintf(dir, sizeof dir, "%s/dir", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(p, sizeof p, "%s/2.PNG", dir);
    assert_int_equal(reader_label_write(p, "second", &o, NULL, &err), 0);
    snprintf(p, sizeof p, "%s/1.png", dir);
    assert_int_equal(reader_label_write(p, "first", &o, NULL, &err), 0);
    snprintf(p, sizeof p, "%s/readme.txt", dir);
    write_file(p, "x", 1);
    snprintf(p, sizeof p, "%s/.hidden.png", dir);
    write_file(p, "x", 1);
    snprintf(uri, sizeof uri, "qr:%s", dir);
    const step_t steps[] = {
        {READER_READ, "first", NULL, NULL},
        {READER_READ, "second", NULL, NULL},
        {READER_END, NULL, NULL, NULL},
    };
    expect_steps(uri, steps, 3);

    /* an empty directory cannot be opened as a reader */
    reader_t *r = NULL;
    snprintf(dir, sizeof dir, "%s/emptydir", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(uri, sizeof uri, "qr:%s", dir);
    assert_int_equal(reader_open(&r, uri, &err), LEDGER_EIO);
    assert_null(r);
    assert_non_null(strstr(err.msg, "no .png"));
    assert_int_equal(reader_open(&r, "qr:", &err), LEDGER_EINVAL);
}

/* Two codes in one image: read top to bottom. */
static void test_two_codes(void **state)
{
    (void)state;
    int w1, w2;
    unsigned char *top = raster("TOP-CODE", 4, &w1);
    unsigned char *bot = raster("https://id.gs1.org/414/5412345000020", 4, &w2);
    int w = w1 > w2 ? w1 : w2, h = w1 + w2;
    unsigned char *g = malloc((size_t)w * h);
    assert_non_null(g);
    memset(g, 255, (size_t)w * h);
    for (int y = 0; y < w1; y++)
        memcpy(g + (size_t)y * w, top + (size_t)y * w1, (size_t)w1);
    for (int y = 0; y < w2; y++)
        memcpy(g + (size_t)(w1 + y) * w + (w - w2), bot + (size_t)y * w2, (size_t)w2);
    write_png_variant(tpath("two.png"), g, w, h, V_GREY8);
    free(top), free(bot), free(g);
    char uri[1100];
    snprintf(uri, sizeof uri, "qr:%s", tpath("two.png"));
    const step_t steps[] = {
        {READER_READ, "TOP-CODE", NULL, NULL},
        {READER_READ, "https://id.gs1.org/414/5412345000020", NULL, NULL},
        {READER_END, NULL, NULL, NULL},
    };
    expect_steps(uri, steps, 3);
}

/* A QR code in FNC1-second-position (AIM) mode, application indicator 37,
 * made with libqrencode.  ISO/IEC 18004: in an FNC1 mode a '%' in an
 * alphanumeric segment stands for GS and "%%" for '%'; the application
 * indicator is transmitted first; the AIM symbology identifier is ]Q5.
 * (libqrencode 4.1.1 cannot make FNC1-first, i.e. GS1, QR codes: see
 * reader_label.h.) */
static void test_qr_fnc1_second(void **state)
{
    (void)state;
    QRinput *in = QRinput_new2(0, QR_ECLEVEL_M);
    assert_non_null(in);
    assert_int_equal(QRinput_setFNC1Second(in, 37), 0);
    assert_int_equal(QRinput_append(in, QR_MODE_AN, 14, (const unsigned char *)"10LOT42%21SN%%"),
                     0);
    QRcode *qr = QRcode_encodeInput(in);
    assert_non_null(qr);
    int w;
    unsigned char *g = raster_of(qr, 4, &w);
    write_png_variant(tpath("fnc1.png"), g, w, w, V_GREY8);
    free(g);
    QRcode_free(qr);
    QRinput_free(in);
    char uri[1100];
    snprintf(uri, sizeof uri, "qr:%s", tpath("fnc1.png"));
    const char want[] = "]Q53710LOT42\x1d"
                        "21SN%";
    expect_single(uri, want, sizeof want - 1, "QR-Code");
}

/* ---- SVG ------------------------------------------------------------------------ */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

/* A small XML well-formedness check: one root, tags nest and match,
 * attributes are quoted and unique-looking, '&' starts a known entity,
 * '<' never appears in text or attribute values.  Collects the unescaped
 * text of <title> and of the <text> elements (concatenated). */
static void check_xml(const char *s, char *title, char *texts, size_t cap)
{
    char stack[16][32];
    int depth = 0, roots = 0;
    const char *p = s;
    size_t tl = 0, xl = 0;
    title[0] = texts[0] = 0;
    if (strncmp(p, "<?xml ", 6) == 0) {
        p = strstr(p, "?>");
        assert_non_null(p);
        p += 2;
    }
    while (*p) {
        if (*p == '<') {
            int closing = p[1] == '/';
            const char *q = p + 1 + closing, *e = q;
            while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || *e == ':')
                e++;
            assert_true(e > q && e - q < 32);
            char name[32];
            memcpy(name, q, (size_t)(e - q));
            name[e - q] = 0;
            /* attributes */
            while (*e == ' ' || *e == '\n') {
                e++;
                if (*e == '/' || *e == '>')
                    break;
                while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || *e == '-' ||
                       *e == ':')
                    e++;
                assert_int_equal(*e, '=');
                assert_int_equal(e[1], '"');
                e += 2;
                while (*e && *e != '"') {
                    assert_true(*e != '<');
                    e++;
                }
                assert_int_equal(*e, '"');
                e++;
            }
            int empty = *e == '/';
            if (empty)
                e++;
            assert_int_equal(*e, '>');
            if (closing) {
                assert_true(depth > 0);
                assert_string_equal(stack[depth - 1], name);
                depth--;
            } else if (!empty) {
                if (depth == 0)
                    roots++;
                assert_true(depth < 16);
                strcpy(stack[depth++], name);
            } else if (depth == 0) {
                roots++;
            }
            p = e + 1;
        } else {
            char c = *p;
            size_t adv = 1;
            if (c == '&') {
                static const char *ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
                static const char vals[] = "&<>\"'";
                int k;
                for (k = 0; k < 5; k++)
                    if (strncmp(p, ents[k], strlen(ents[k])) == 0)
                        break;
                assert_true(k < 5);
                c = vals[k];
                adv = strlen(ents[k]);
            } else {
                assert_true(c != '>');
            }
            if (depth > 0 && strcmp(stack[depth - 1], "title") == 0 && tl + 1 < cap)
                title[tl++] = c, title[tl] = 0;
            if (depth > 0 && strcmp(stack[depth - 1], "text") == 0 && xl + 1 < cap)
                texts[xl++] = c, texts[xl] = 0;
            if (depth == 0)
                assert_true(c == '\n' || c == ' ');
            p += adv;
        }
    }
    assert_int_equal(depth, 0);
    assert_int_equal(roots, 1);
}

static void test_label_svg(void **state)
{
    (void)state;
    make_long_uri();
    const char *texts[] = {
        "https://id.gs1.org/01/09506000134352/10/<A&B>\"'",
        long_uri,
    };
    for (size_t i = 0; i < 2; i++) {
        reader_label_info_t info = {0};
        ledger_err_t err = {0};
        reader_label_opts_t o = {.ec_level = 'q'};
        assert_int_equal(reader_label_write(tpath("l.svg"), texts[i], &o, &info, &err), 0);
        assert_int_equal(info.ec_level, 'Q');
        char *s = slurp(tpath("l.svg"));
        size_t cap = strlen(texts[i]) + 16;
        char *title = malloc(cap), *tx = malloc(cap);
        check_xml(s, title, tx, cap);
        assert_string_equal(title, texts[i]);
        assert_string_equal(tx, texts[i]);
        assert_non_null(strstr(s, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_non_null(strstr(s, "<path "));
        if (i == 1)
            assert_true(info.caption_lines > 3);
        free(title), free(tx), free(s);
    }
    /* no caption: no <text>, no <title> */
    reader_label_opts_t o = {.no_caption = 1, .format = READER_LABEL_SVG};
    ledger_err_t err = {0};
    assert_int_equal(reader_label_write(tpath("l.out"), texts[0], &o, NULL, &err), 0);
    char *s = slurp(tpath("l.out"));
    assert_null(strstr(s, "<text"));
    free(s);
}

static void test_label_errors(void **state)
{
    (void)state;
    ledger_err_t err = {0};
    reader_label_opts_t o = {0};
    char big[3000];
    /* 1400 bytes of mixed text: more than level H holds (1273), less than L */
    for (size_t i = 0; i < 1400; i++)
        big[i] = "abcdefghijklmnopqrstuvwxyz/?=&"[i % 30];
    big[1400] = 0;
    o.ec_level = 'H';
    assert_int_equal(reader_label_write(tpath("big.png"), big, &o, NULL, &err), LEDGER_EINPUT);
    assert_non_null(strstr(err.msg, "too long"));
    assert_non_null(strstr(err.msg, "1400"));
    assert_int_equal(access(tpath("big.png"), F_OK), -1);
    o.ec_level = 'L';
    assert_int_equal(reader_label_write(tpath("big.png"), big, &o, NULL, &err), 0);
    memset(big, 'x', 2999);
    big[2999] = 0;
    assert_int_equal(reader_label_write(tpath("big2.png"), big, &o, NULL, &err), LEDGER_EINPUT);
    assert_int_equal(reader_label_write(tpath("e.png"), "", NULL, NULL, &err), LEDGER_EINPUT);
    o.ec_level = 'X';
    assert_int_equal(reader_label_write(tpath("x.png"), "a", &o, NULL, &err), LEDGER_EINVAL);
    o.ec_level = 0;
    o.quiet_modules = 2;
    assert_int_equal(reader_label_write(tpath("x.png"), "a", &o, NULL, &err), LEDGER_EINVAL);
    o.quiet_modules = 0;
    o.module_px = 65;
    assert_int_equal(reader_label_write(tpath("x.png"), "a", &o, NULL, &err), LEDGER_EINVAL);
    assert_int_equal(reader_label_write(tpath("x.gif"), "a", NULL, NULL, &err), LEDGER_EINVAL);
    assert_non_null(strstr(err.msg, ".png"));
    assert_int_equal(reader_label_write(tpath("nodir/x.png"), "a", NULL, NULL, &err), LEDGER_EIO);
    assert_non_null(strstr(err.msg, "nodir"));
    assert_int_equal(reader_label_write_fp(stdout, READER_LABEL_AUTO, "a", NULL, NULL, &err),
                     LEDGER_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_png_roundtrip), cmocka_unit_test(test_label_quiet_zone),
        cmocka_unit_test(test_png_variants),        cmocka_unit_test(test_jpeg),
        cmocka_unit_test(test_bad_files_then_next), cmocka_unit_test(test_linear_codes),
        cmocka_unit_test(test_directory),           cmocka_unit_test(test_two_codes),
        cmocka_unit_test(test_qr_fnc1_second),      cmocka_unit_test(test_label_svg),
        cmocka_unit_test(test_label_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
