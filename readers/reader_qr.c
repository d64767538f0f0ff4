/* reader_qr.c -- the "qr:" reader: QR codes and barcodes in image files.
 *
 * URI:  qr:<file>[,<file>...]     PNG or JPEG files, read in the order given
 *       qr:<directory>            every *.png, *.jpg, *.jpeg in it (not hidden
 *                                 files), sorted by name (byte order)
 * A list entry that names an existing file is never split at its commas, so
 * "qr:a,b.png" reads the file "a,b.png" when it exists.
 *
 * How it works: each poll returns the next symbol found; when none is left
 * it loads the next file into one 8-bit grey buffer (PNG through libpng:
 * palette, 1/2/4/8/16-bit, grey, RGB, alpha and tRNS transparency laid over
 * white, interlaced; JPEG through libjpeg: grey, YCbCr, CMYK), hands it to
 * zbar's image scanner, and queues every symbol it finds, top to bottom then
 * left to right.  After the last file poll returns READER_END.  Decoding is
 * work, not waiting: a file is decoded within one poll whatever timeout_ms.
 * Images above 100 megapixels are refused before any pixel is allocated.
 *
 * Each read: code = the symbol's data, tag_type = zbar's symbology name
 * ("QR-Code", "EAN-13", "EAN-8", "UPC-A", "UPC-E", "CODE-128", "DataBar",
 * "DataBar-Exp", "I2/5", "CODE-39", "CODE-93", "Codabar"), source = the
 * file name, time_ms = when it was decoded, uid = NULL.
 *
 * GS1 symbols: zbar 0.23.92 strips a leading FNC1 and reports it only as the
 * ZBAR_MOD_GS1 modifier; an FNC1 inside the data (a separator) comes as 0x1D
 * (GS), a trailing FNC1 is dropped; a QR code in FNC1 mode has its
 * alphanumeric '%' turned into GS.  zbar gives no AIM symbology identifier,
 * so we put the standard one back in front when zbar saw FNC1, and a read
 * of a GS1 symbol is an element string a GS1 parser recognises:
 *     GS1-128 (Code 128, FNC1 first)       "]C1" + data
 *     Code 128, FNC1 second (AIM)          "]C2" + data
 *     GS1 QR Code (FNC1 first)             "]Q3" + data
 *     QR Code, FNC1 second (AIM)           "]Q5" + data
 *     GS1 DataBar (always GS1)             "]e0" + data
 * EAN-13/EAN-8/UPC-A/UPC-E are reported as their digits (a GTIN-13/8/12,
 * check digit included), without "]E0", like a scanner with AIM ids off.
 * This zbar has no Data Matrix decoder.
 *
 * Errors (the handle stays usable; the next poll goes on with the next
 * file): a missing or unreadable file -> LEDGER_EIO; a file that is not a
 * PNG or JPEG, a truncated or damaged image, an image too large, an image
 * with no symbol in it -> LEDGER_EINPUT; each message names the file.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h> /* before jpeglib.h, which needs FILE */
#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <zbar.h>

#include "reader__backend.h"

#define QR_MAX_PIXELS 100000000ULL /* 100 megapixels */

typedef struct {
    char *code;
    size_t len;
    const char *type; /* static, from zbar */
    int x, y;         /* top-left of the symbol's location, for ordering */
} sym_t;

typedef struct {
    char **files;
    size_t nfiles, next;
    zbar_image_scanner_t *zs;
    sym_t *syms;
    size_t nsyms, isym;
    size_t sym_file; /* index of the file the queued symbols come from */
} qr_t;

typedef struct {
    unsigned char *px;
    uint32_t w, h;
} grey_t;

/* ---- the list of files ---------------------------------------------------- */

static int add_file(qr_t *q, const char *path, size_t n, ledger_err_t *err)
{
    char **nf = realloc(q->files, (q->nfiles + 1) * sizeof *nf);
    if (nf == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory for the list of images");
    q->files = nf;
    if ((nf[q->nfiles] = strndup(path, n)) == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory for the list of images");
    q->nfiles++;
    return 0;
}

static int is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (name[0] == '.' || dot == NULL)
        return 0;
    return strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 ||
           strcasecmp(dot, ".jpeg") == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the images of a directory, sorted by name. */
static int add_dir(qr_t *q, const char *dir, ledger_err_t *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t first = q->nfiles, dlen = strlen(dir);
    int rc = 0;

    if (d == NULL)
        return ledger_err_set(err, LEDGER_EIO, "cannot read directory '%s': %s", dir,
                              strerror(errno));
    while ((de = readdir(d)) != NULL) {
        if (!is_image_name(de->d_name))
            continue;
        size_t n = dlen + 1 + strlen(de->d_name) + 1;
        char *p = malloc(n);
        if (p == NULL) {
            rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory listing '%s'", dir);
            break;
        }
        snprintf(p, n, "%s%s%s", dir, dlen && dir[dlen - 1] == '/' ? "" : "/", de->d_name);
        rc = add_file(q, p, strlen(p), err);
        free(p);
        if (rc < 0)
            break;
    }
    closedir(d);
    if (rc < 0)
        return rc;
    if (q->nfiles == first)
        return ledger_err_set(err, LEDGER_EIO, "directory '%s' holds no .png, .jpg or .jpeg file",
                              dir);
    qsort(q->files + first, q->nfiles - first, sizeof *q->files, cmp_str);
    return 0;
}

static int add_entry(qr_t *q, const char *path, size_t n, ledger_err_t *err)
{
    struct stat st;
    char *p;
    int rc;

    if (n == 0)
        return ledger_err_set(err, LEDGER_EINVAL, "empty file name in the list");
    if ((p = strndup(path, n)) == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
        rc = add_dir(q, p, err);
    else
        rc = add_file(q, p, n, err); /* a missing file is reported when its turn comes */
    free(p);
    return rc;
}

/* ---- PNG ------------------------------------------------------------------ */

typedef struct {
    jmp_buf jb;
    FILE *fp;
    const char *name;
    char msg[300];
    unsigned long long nread;
    png_structp png;
    png_infop info;
    unsigned char *rows; /* one row, or the whole image when interlaced */
    png_bytep *rowp;
    grey_t g;
} png_rd_t;

static void png_rd_error(png_structp png, png_const_charp msg)
{
    png_rd_t *c = png_get_error_ptr(png);
    if (c->msg[0] == '\0')
        snprintf(c->msg, sizeof c->msg, "damaged PNG (libpng: %s)", msg);
    longjmp(c->jb, 1);
}

static void png_rd_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void png_rd_read(png_structp png, png_bytep data, png_size_t n)
{
    png_rd_t *c = png_get_io_ptr(png);
    size_t got = fread(data, 1, n, c->fp);
    c->nread += got;
    if (got != n) {
        if (ferror(c->fp))
            snprintf(c->msg, sizeof c->msg, "read error after %llu bytes: %s", c->nread,
                     strerror(errno));
        else
            snprintf(c->msg, sizeof c->msg,
                     "truncated PNG: the file ends after %llu bytes, in the middle of the image",
                     c->nread);
        png_error(png, c->msg);
    }
}

/* Grey value of one pixel with n channels (1 G, 2 GA, 3 RGB, 4 RGBA),
 * transparency laid over white. */
static unsigned char to_grey(const unsigned char *p, int n)
{
    unsigned v, a = 255;
    if (n >= 3)
        v = (299u * p[0] + 587u * p[1] + 114u * p[2] + 500u) / 1000u;
    else
        v = p[0];
    if (n == 2 || n == 4)
        a = p[n - 1];
    return (unsigned char)((v * a + 255u * (255u - a) + 127u) / 255u);
}

static int png_rd_run(png_rd_t *c)
{
    png_uint_32 w, h;
    int depth, ctype, ilace, passes, ch;
    size_t rowbytes;

    if (setjmp(c->jb))
        return -1;
    png_set_read_fn(c->png, c, png_rd_read);
    png_set_user_limits(c->png, 1000000, 1000000);
    png_read_info(c->png, c->info);
    png_get_IHDR(c->png, c->info, &w, &h, &depth, &ctype, &ilace, NULL, NULL);
    if ((unsigned long long)w * h > QR_MAX_PIXELS) {
        snprintf(c->msg, sizeof c->msg,
                 "image of %lux%lu pixels is larger than the limit of 100 megapixels",
                 (unsigned long)w, (unsigned long)h);
        return -2;
    }
    png_set_expand(c->png);
    png_set_strip_16(c->png);
    passes = png_set_interlace_handling(c->png);
    png_read_update_info(c->png, c->info);
    ch = png_get_channels(c->png, c->info);
    rowbytes = png_get_rowbytes(c->png, c->info);
    if (ch < 1 || ch > 4 || rowbytes < (size_t)w * (size_t)ch) {
        snprintf(c->msg, sizeof c->msg, "unsupported PNG layout (%d channels)", ch);
        return -2;
    }
    c->g.w = w;
    c->g.h = h;
    if ((c->g.px = malloc((size_t)w * h)) == NULL)
        goto nomem;
    if (passes > 1) {
        if ((c->rows = malloc(rowbytes * h)) == NULL ||
            (c->rowp = malloc(h * sizeof *c->rowp)) == NULL)
            goto nomem;
        for (png_uint_32 y = 0; y < h; y++)
            c->rowp[y] = c->rows + (size_t)y * rowbytes;
        png_read_image(c->png, c->rowp);
    } else if ((c->rows = malloc(rowbytes)) == NULL) {
        goto nomem;
    }
    for (png_uint_32 y = 0; y < h; y++) {
        const unsigned char *row = c->rows;
        if (passes > 1)
            row = c->rowp[y];
        else
            png_read_row(c->png, c->rows, NULL);
        unsigned char *out = c->g.px + (size_t)y * w;
        for (png_uint_32 x = 0; x < w; x++)
            out[x] = to_grey(row + (size_t)x * ch, ch);
    }
    return 0;
nomem:
    snprintf(c->msg, sizeof c->msg, "out of memory for an image of %lux%lu pixels",
             (unsigned long)w, (unsigned long)h);
    return -3;
}

static int load_png(FILE *fp, const char *name, grey_t *g, ledger_err_t *err)
{
    png_rd_t *c = calloc(1, sizeof *c);
    int rc;

    if (c == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "'%s': out of memory", name);
    c->fp = fp;
    c->name = name;
    c->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, png_rd_error, png_rd_warning);
    if (c->png == NULL || (c->info = png_create_info_struct(c->png)) == NULL) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "'%s': out of memory", name);
        goto done;
    }
    rc = png_rd_run(c);
    if (rc == 0) {
        *g = c->g;
        c->g.px = NULL;
    } else {
        rc =
            ledger_err_set(err, rc == -3 ? LEDGER_ENOMEM : LEDGER_EINPUT, "'%s': %s", name, c->msg);
    }
done:
    if (c->png)
        png_destroy_read_struct(&c->png, c->info ? &c->info : NULL, NULL);
    free(c->rows);
    free(c->rowp);
    free(c->g.px);
    free(c);
    return rc;
}

/* ---- JPEG ----------------------------------------------------------------- */

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
    char warning[JMSG_LENGTH_MAX];
} jpeg_err_t;

typedef struct {
    struct jpeg_decompress_struct ci;
    jpeg_err_t je;
    int created;
    unsigned char *row;
    grey_t g;
    char msg[300];
} jpeg_rd_t;

static void jpeg_rd_exit(j_common_ptr ci)
{
    jpeg_err_t *je = (jpeg_err_t *)ci->err;
    je->pub.format_message(ci, je->msg);
    longjmp(je->jb, 1);
}

static void jpeg_rd_output(j_common_ptr ci)
{
    jpeg_err_t *je = (jpeg_err_t *)ci->err;
    if (je->warning[0] == '\0')
        je->pub.format_message(ci, je->warning);
}

static int jpeg_rd_run(jpeg_rd_t *c, FILE *fp)
{
    int cmyk;

    if (setjmp(c->je.jb))
        return -1;
    jpeg_create_decompress(&c->ci);
    c->created = 1;
    jpeg_stdio_src(&c->ci, fp);
    jpeg_read_header(&c->ci, TRUE);
    if ((unsigned long long)c->ci.image_width * c->ci.image_height > QR_MAX_PIXELS) {
        snprintf(c->msg, sizeof c->msg,
                 "image of %lux%lu pixels is larger than the limit of 100 megapixels",
                 (unsigned long)c->ci.image_width, (unsigned long)c->ci.image_height);
        return -2;
    }
    cmyk = c->ci.jpeg_color_space == JCS_CMYK || c->ci.jpeg_color_space == JCS_YCCK;
    c->ci.out_color_space = cmyk ? JCS_CMYK : JCS_GRAYSCALE;
    jpeg_start_decompress(&c->ci);
    c->g.w = c->ci.output_width;
    c->g.h = c->ci.output_height;
    int n = c->ci.output_components;
    if ((c->g.px = malloc((size_t)c->g.w * c->g.h)) == NULL ||
        (c->row = malloc((size_t)c->g.w * (size_t)n)) == NULL) {
        snprintf(c->msg, sizeof c->msg, "out of memory for an image of %lux%lu pixels",
                 (unsigned long)c->g.w, (unsigned long)c->g.h);
        return -3;
    }
    while (c->ci.output_scanline < c->ci.output_height) {
        JSAMPROW rp = c->row;
        size_t y = c->ci.output_scanline;
        if (jpeg_read_scanlines(&c->ci, &rp, 1) != 1)
            break;
        unsigned char *out = c->g.px + y * c->g.w;
        for (uint32_t x = 0; x < c->g.w; x++) {
            if (n == 1) {
                out[x] = c->row[x];
            } else {
                /* Adobe CMYK as libjpeg delivers it (inverted: 255 = no ink). */
                const unsigned char *p = c->row + (size_t)x * 4;
                unsigned k = p[3], r = p[0] * k / 255, gg = p[1] * k / 255, b = p[2] * k / 255;
                out[x] = (unsigned char)((299u * r + 587u * gg + 114u * b + 500u) / 1000u);
            }
        }
    }
    jpeg_finish_decompress(&c->ci);
    return 0;
}

static int load_jpeg(FILE *fp, const char *name, grey_t *g, char *warning, size_t wsize,
                     ledger_err_t *err)
{
    jpeg_rd_t *c = calloc(1, sizeof *c);
    int rc;

    if (c == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "'%s': out of memory", name);
    c->ci.err = jpeg_std_error(&c->je.pub);
    c->je.pub.error_exit = jpeg_rd_exit;
    c->je.pub.output_message = jpeg_rd_output;
    rc = jpeg_rd_run(c, fp);
    if (rc == 0) {
        *g = c->g;
        c->g.px = NULL;
        snprintf(warning, wsize, "%s", c->je.warning);
    } else if (rc == -1) {
        rc =
            ledger_err_set(err, LEDGER_EINPUT, "'%s': damaged JPEG (libjpeg: %s)", name, c->je.msg);
    } else {
        rc =
            ledger_err_set(err, rc == -3 ? LEDGER_ENOMEM : LEDGER_EINPUT, "'%s': %s", name, c->msg);
    }
    if (c->created)
        jpeg_destroy_decompress(&c->ci);
    free(c->row);
    free(c->g.px);
    free(c);
    return rc;
}

/* ---- zbar ----------------------------------------------------------------- */

static const zbar_symbol_type_t enabled[] = {
    ZBAR_QRCODE,  ZBAR_EAN13,       ZBAR_EAN8, ZBAR_UPCA,   ZBAR_UPCE,   ZBAR_CODE128,
    ZBAR_DATABAR, ZBAR_DATABAR_EXP, ZBAR_I25,  ZBAR_CODE39, ZBAR_CODE93, ZBAR_CODABAR,
};

static const char *aim_prefix(zbar_symbol_type_t type, unsigned mods)
{
    int gs1 = (mods >> ZBAR_MOD_GS1) & 1, aim = (mods >> ZBAR_MOD_AIM) & 1;
    switch (type) {
    case ZBAR_CODE128:
        return gs1 ? "]C1" : aim ? "]C2" : "";
    case ZBAR_QRCODE:
        return gs1 ? "]Q3" : aim ? "]Q5" : "";
    case ZBAR_DATABAR:
    case ZBAR_DATABAR_EXP:
        return "]e0";
    default:
        return "";
    }
}

static int cmp_sym(const void *a, const void *b)
{
    const sym_t *x = a, *y = b;
    if (x->y != y->y)
        return x->y < y->y ? -1 : 1;
    return x->x < y->x ? -1 : x->x > y->x;
}

static void clear_syms(qr_t *q)
{
    for (size_t i = 0; i < q->nsyms; i++)
        free(q->syms[i].code);
    free(q->syms);
    q->syms = NULL;
    q->nsyms = q->isym = 0;
}

/* Runs zbar over g and queues what it finds. */
static int scan_grey(qr_t *q, const grey_t *g, const char *name, ledger_err_t *err)
{
    zbar_image_t *img = zbar_image_create();
    const zbar_symbol_t *s;
    size_t n = 0;
    int rc = 0;

    if (img == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "'%s': out of memory", name);
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, g->w, g->h);
    zbar_image_set_data(img, g->px, (unsigned long)g->w * g->h, NULL);
    if (zbar_scan_image(q->zs, img) < 0) {
        rc = ledger_err_set(err, LEDGER_EINPUT, "'%s': zbar could not scan the image", name);
        goto done;
    }
    for (s = zbar_image_first_symbol(img); s; s = zbar_symbol_next(s))
        n++;
    if (n == 0)
        goto done;
    if ((q->syms = calloc(n, sizeof *q->syms)) == NULL) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "'%s': out of memory", name);
        goto done;
    }
    for (s = zbar_image_first_symbol(img); s; s = zbar_symbol_next(s)) {
        zbar_symbol_type_t t = zbar_symbol_get_type(s);
        const char *pre = aim_prefix(t, zbar_symbol_get_modifiers(s));
        const char *data = zbar_symbol_get_data(s);
        size_t dlen = zbar_symbol_get_data_length(s), plen = strlen(pre);
        sym_t *y = &q->syms[q->nsyms];
        if ((y->code = malloc(plen + dlen + 1)) == NULL) {
            rc = ledger_err_set(err, LEDGER_ENOMEM, "'%s': out of memory", name);
            goto done;
        }
        memcpy(y->code, pre, plen);
        memcpy(y->code + plen, data, dlen);
        y->code[plen + dlen] = '\0';
        y->len = plen + dlen;
        y->type = zbar_get_symbol_name(t);
        y->x = y->y = INT_MAX;
        for (unsigned i = 0; i < zbar_symbol_get_loc_size(s); i++) {
            int lx = zbar_symbol_get_loc_x(s, i), ly = zbar_symbol_get_loc_y(s, i);
            y->x = lx < y->x ? lx : y->x;
            y->y = ly < y->y ? ly : y->y;
        }
        q->nsyms++;
    }
    qsort(q->syms, q->nsyms, sizeof *q->syms, cmp_sym);
done:
    zbar_image_destroy(img);
    if (rc < 0)
        clear_syms(q);
    return rc;
}

/* Loads file number i and queues its symbols. */
static int load_file(qr_t *q, size_t i, ledger_err_t *err)
{
    const char *name = q->files[i];
    unsigned char magic[8] = {0};
    char warning[JMSG_LENGTH_MAX] = "";
    grey_t g = {0};
    struct stat st;
    FILE *fp;
    size_t got;
    int rc;

    if ((fp = fopen(name, "rb")) == NULL)
        return ledger_err_set(err, LEDGER_EIO, "cannot open '%s': %s", name, strerror(errno));
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = ledger_err_set(err, LEDGER_EIO, "'%s' is a directory", name);
        goto done;
    }
    got = fread(magic, 1, sizeof magic, fp);
    if (got < sizeof magic && ferror(fp)) {
        rc = ledger_err_set(err, LEDGER_EIO, "cannot read '%s': %s", name, strerror(errno));
        goto done;
    }
    if (fseek(fp, 0, SEEK_SET) != 0) {
        rc = ledger_err_set(err, LEDGER_EIO, "cannot read '%s' from its start: %s", name,
                            strerror(errno));
        goto done;
    }
    if (got == 0) {
        rc = ledger_err_set(err, LEDGER_EINPUT, "'%s' is empty, not an image", name);
        goto done;
    } else if (got == 8 && png_sig_cmp(magic, 0, 8) == 0) {
        rc = load_png(fp, name, &g, err);
    } else if (got >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff) {
        rc = load_jpeg(fp, name, &g, warning, sizeof warning, err);
    } else {
        rc = ledger_err_set(err, LEDGER_EINPUT,
                            "'%s' is not a PNG or JPEG image (it starts with bytes %02x %02x "
                            "%02x %02x)",
                            name, magic[0], magic[1], magic[2], magic[3]);
    }
    if (rc < 0)
        goto done;
    if ((rc = scan_grey(q, &g, name, err)) < 0)
        goto done;
    q->sym_file = i;
    if (q->nsyms == 0)
        rc = ledger_err_set(err, LEDGER_EINPUT,
                            "'%s': no QR code or barcode found in the %lux%lu "
                            "image%s%s",
                            name, (unsigned long)g.w, (unsigned long)g.h,
                            warning[0] ? "; the JPEG is damaged: " : "", warning);
done:
    free(g.px);
    fclose(fp);
    return rc;
}

/* ---- backend -------------------------------------------------------------- */

static void qr_close(void *state)
{
    qr_t *q = state;
    if (q == NULL)
        return;
    clear_syms(q);
    for (size_t i = 0; i < q->nfiles; i++)
        free(q->files[i]);
    free(q->files);
    if (q->zs)
        zbar_image_scanner_destroy(q->zs);
    free(q);
}

static int qr_open(void **state, const char *arg, ledger_err_t *err)
{
    qr_t *q = calloc(1, sizeof *q);
    struct stat st;
    int rc = 0;

    *state = NULL;
    if (q == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    if (arg == NULL || *arg == '\0') {
        rc = ledger_err_set(err, LEDGER_EINVAL,
                            "no image given: use qr:<file>[,<file>...] or qr:<directory>");
        goto fail;
    }
    if (stat(arg, &st) == 0) {
        rc = add_entry(q, arg, strlen(arg), err);
    } else {
        const char *p = arg;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            if ((rc = add_entry(q, p, n, err)) < 0)
                break;
            if (comma == NULL)
                break;
            p = comma + 1;
        }
    }
    if (rc < 0)
        goto fail;
    if ((q->zs = zbar_image_scanner_create()) == NULL) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory creating a zbar scanner");
        goto fail;
    }
    zbar_image_scanner_set_config(q->zs, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    for (size_t i = 0; i < sizeof enabled / sizeof enabled[0]; i++)
        zbar_image_scanner_set_config(q->zs, enabled[i], ZBAR_CFG_ENABLE, 1);
    zbar_image_scanner_set_config(q->zs, ZBAR_NONE, ZBAR_CFG_TEST_INVERTED, 1);
    *state = q;
    return 0;
fail:
    qr_close(q);
    return rc;
}

static int qr_poll(void *state, int timeout_ms, reader_read_t *out, ledger_err_t *err)
{
    qr_t *q = state;
    int rc;

    (void)timeout_ms;
    while (q->isym >= q->nsyms) {
        clear_syms(q);
        if (q->next >= q->nfiles)
            return READER_END;
        if ((rc = load_file(q, q->next++, err)) < 0)
            return rc;
    }
    const sym_t *s = &q->syms[q->isym++];
    if ((rc = reader__set(&out->code, s->code, s->len, err)) < 0 ||
        (rc = reader__set(&out->tag_type, s->type, strlen(s->type), err)) < 0 ||
        (rc = reader__set(&out->source, q->files[q->sym_file], strlen(q->files[q->sym_file]),
                          err)) < 0)
        return rc;
    out->code_len = s->len;
    out->time_ms = reader__now_ms();
    return READER_READ;
}

const reader_backend_t reader_backend_qr = {
    .scheme = "qr",
    .open = qr_open,
    .poll = qr_poll,
    .close = qr_close,
};
