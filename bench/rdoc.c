// SPDX-License-Identifier: GPL-2.0
/*
 * One report, three renderings: the report is built once as a list of
 * blocks (headings, paragraphs, items, tables, plots), then written as
 * aligned text, Markdown and a self-contained HTML page.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "rdoc.h"
#include "s2bench.h"

#define TEXT_WIDTH 100

static struct rblock *add(struct rdoc *d, enum rblock_kind kind)
{
	struct rblock *b;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->b = realloc(d->b, d->cap * sizeof(*d->b));
		if (!d->b)
			abort();
	}
	b = &d->b[d->n++];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	return b;
}

void rdoc_heading(struct rdoc *d, int level, const char *id, const char *fmt, ...)
{
	struct rblock *b = add(d, RB_HEADING);
	va_list ap;

	b->level = level;
	b->id = id ? strdup(id) : NULL;
	va_start(ap, fmt);
	b->text = rvstrf(fmt, ap);
	va_end(ap);
}

#define TEXT_BLOCK(fn, kind)						\
void fn(struct rdoc *d, const char *fmt, ...)				\
{									\
	struct rblock *b = add(d, kind);				\
	va_list ap;							\
									\
	va_start(ap, fmt);						\
	b->text = rvstrf(fmt, ap);					\
	va_end(ap);							\
}
TEXT_BLOCK(rdoc_para, RB_PARA)
TEXT_BLOCK(rdoc_item, RB_ITEM)

void rdoc_para_id(struct rdoc *d, const char *id, const char *fmt, ...)
{
	struct rblock *b = add(d, RB_PARA);
	va_list ap;

	b->id = strdup(id);
	va_start(ap, fmt);
	b->text = rvstrf(fmt, ap);
	va_end(ap);
}

void rdoc_move(struct rdoc *dst, struct rdoc *src)
{
	for (size_t i = 0; i < src->n; i++)
		*add(dst, src->b[i].kind) = src->b[i];
	/* the blocks' strings and tables belong to dst now */
	free(src->b);
	memset(src, 0, sizeof(*src));
}

void rdoc_plot(struct rdoc *d, const char *id, const char *img, const char *fmt, ...)
{
	struct rblock *b = add(d, RB_PLOT);
	va_list ap;

	b->id = strdup(id);
	b->img = img ? strdup(img) : NULL;
	va_start(ap, fmt);
	b->text = rvstrf(fmt, ap);
	va_end(ap);
}

struct rtable *rdoc_table(struct rdoc *d, const char *id, size_t ncols, const char *const *spec)
{
	struct rblock *b = add(d, RB_TABLE);
	struct rtable *t = calloc(1, sizeof(*t));
	size_t i;

	if (!t)
		abort();
	b->t = t;
	b->id = strdup(id);
	t->id = b->id;
	t->ncols = ncols;
	t->head = calloc(ncols, sizeof(*t->head));
	t->num = calloc(ncols, sizeof(*t->num));
	for (i = 0; i < ncols; i++) {
		t->num[i] = spec[i][0] == '>';
		t->head[i] = strdup(spec[i] + t->num[i]);
	}
	return t;
}

void rtable_row(struct rtable *t, const char *const *cells)
{
	size_t i;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cell = realloc(t->cell, t->cap * t->ncols * sizeof(*t->cell));
		if (!t->cell)
			abort();
	}
	for (i = 0; i < t->ncols; i++)
		t->cell[t->nrows * t->ncols + i] = strdup(cells[i] ? cells[i] : "");
	t->nrows++;
}

static void block_free(struct rblock *b)
{
	size_t j;

	free(b->id);
	free(b->text);
	free(b->img);
	if (b->t) {
		for (j = 0; j < b->t->ncols; j++)
			free(b->t->head[j]);
		for (j = 0; j < b->t->nrows * b->t->ncols; j++)
			free(b->t->cell[j]);
		free(b->t->head);
		free(b->t->num);
		free(b->t->cell);
		free(b->t);
	}
}

void rdoc_pop(struct rdoc *d)
{
	if (d->n)
		block_free(&d->b[--d->n]);
}

void rdoc_free(struct rdoc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		block_free(&d->b[i]);
	free(d->b);
	memset(d, 0, sizeof(*d));
}

/* Text ------------------------------------------------------------------ */

/* Columns on a terminal: UTF-8 continuation bytes take none. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void pad(FILE *f, size_t n)
{
	while (n--)
		fputc(' ', f);
}

/* Greedy word wrap by columns; a word longer than the line stays whole. */
static void wrap(FILE *f, const char *text, const char *first, const char *indent)
{
	const char *lead = first, *p = text;

	while (*p) {
		const char *eol = strchrnul(p, '\n');

		do {
			size_t room = TEXT_WIDTH - width(lead), w = 0;
			const char *q = p, *brk = NULL, *end;

			for (; q < eol; q++) {
				if (*q == ' ')
					brk = q;
				w += ((unsigned char)*q & 0xc0) != 0x80;
				if (w > room && brk)
					break;
			}
			end = q < eol ? brk : eol;
			fprintf(f, "%s%.*s\n", lead, (int)(end - p), p);
			for (p = end; p < eol && *p == ' '; p++)
				;
			lead = indent;
		} while (p < eol);
		p = *eol ? eol + 1 : eol;
	}
}

static void text_table(const struct rtable *t, FILE *f)
{
	size_t *w = calloc(t->ncols, sizeof(*w)), i, j;

	for (j = 0; j < t->ncols; j++)
		w[j] = width(t->head[j]);
	for (i = 0; i < t->nrows; i++)
		for (j = 0; j < t->ncols; j++) {
			size_t x = width(t->cell[i * t->ncols + j]);

			if (x > w[j])
				w[j] = x;
		}
	for (i = 0; i <= t->nrows; i++) {
		/* trailing empty cells would only leave trailing blanks */
		size_t last = t->ncols;

		while (i > 0 && last > 1 && !*t->cell[(i - 1) * t->ncols + last - 1])
			last--;
		for (j = 0; j < last; j++) {
			const char *c = i ? t->cell[(i - 1) * t->ncols + j] : t->head[j];
			size_t x = width(c);
			bool end = j + 1 == last;

			if (t->num[j])
				pad(f, w[j] - x);
			fputs(c, f);
			if (!t->num[j] && !end)
				pad(f, w[j] - x);
			if (!end)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
	free(w);
}

void rdoc_text(const struct rdoc *d, size_t from, size_t to, FILE *f)
{
	size_t i, k;

	for (i = from; i < to && i < d->n; i++) {
		const struct rblock *b = &d->b[i];
		enum rblock_kind prev = i > from ? d->b[i - 1].kind : RB_HEADING;

		/* blocks apart, but a heading stays on its text and a list together */
		if (i > from && (b->kind == RB_HEADING ||
				 (prev != RB_HEADING && !(b->kind == prev &&
							  (prev == RB_ITEM || prev == RB_PLOT)))))
			fputc('\n', f);
		switch (b->kind) {
		case RB_HEADING:
			fprintf(f, "%s\n", b->text);
			if (b->level <= 2) {
				for (k = width(b->text); k; k--)
					fputc(b->level == 1 ? '=' : '-', f);
				fputc('\n', f);
			}
			break;
		case RB_PARA:
			wrap(f, b->text, "", "");
			break;
		case RB_ITEM:
			wrap(f, b->text, "  - ", "    ");
			break;
		case RB_TABLE:
			text_table(b->t, f);
			break;
		case RB_PLOT:
			if (b->img)
				wrap(f, b->text, "  [plot] ", "         ");
			else
				wrap(f, b->text, "  [no plot] ", "            ");
			if (b->img)
				fprintf(f, "         %s.svg, %s.png\n", b->img, b->img);
			break;
		}
	}
}

/* Markdown -------------------------------------------------------------- */

static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

void rdoc_markdown(const struct rdoc *d, FILE *f)
{
	size_t i, j, k;

	for (i = 0; i < d->n; i++) {
		const struct rblock *b = &d->b[i];
		const struct rtable *t = b->t;

		switch (b->kind) {
		case RB_HEADING:
			for (k = 0; k < (size_t)b->level; k++)
				fputc('#', f);
			fprintf(f, " %s\n\n", b->text);
			break;
		case RB_PARA:
			fprintf(f, "%s\n\n", b->text);
			break;
		case RB_ITEM:
			fprintf(f, "- %s\n", b->text);
			if (i + 1 >= d->n || d->b[i + 1].kind != RB_ITEM)
				fputc('\n', f);
			break;
		case RB_TABLE:
			for (j = 0; j < t->ncols; j++) {
				fputs("| ", f);
				md_cell(f, t->head[j]);
				fputc(' ', f);
			}
			fputs("|\n", f);
			for (j = 0; j < t->ncols; j++)
				fputs(t->num[j] ? "| ---: " : "| --- ", f);
			fputs("|\n", f);
			for (k = 0; k < t->nrows; k++) {
				for (j = 0; j < t->ncols; j++) {
					fputs("| ", f);
					md_cell(f, t->cell[k * t->ncols + j]);
					fputc(' ', f);
				}
				fputs("|\n", f);
			}
			fputc('\n', f);
			break;
		case RB_PLOT:
			if (b->img)
				fprintf(f, "![%s](%s.svg)\n\n*%s* ([PNG](%s.png))\n\n", b->id, b->img,
					b->text, b->img);
			else
				fprintf(f, "*No plot:* %s\n\n", b->text);
			break;
		}
	}
}

/* HTML ------------------------------------------------------------------ */

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/*
 * Inline only: the page is opened from a copied run directory, often
 * offline. The script marks a plot that did not load so that a reader
 * (and tests/t-report-html.sh) sees it instead of an empty frame.
 */
static const char html_head[] =
	"<style>\n"
	"body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1400px;"
	"padding:0 1em;color:#222;line-height:1.4}\n"
	"h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #aaa;margin-top:2em}\n"
	"table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.9em}\n"
	"th,td{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}\n"
	"th{background:#eee}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"tbody tr:nth-child(even){background:#f7f7f7}\n"
	"figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}\n"
	"figcaption{font-size:0.9em;color:#444}\n"
	".noplot{color:#864}.broken{outline:3px solid #c00}\n"
	"</style>\n";

static const char html_script[] =
	"<script>\n"
	"window.addEventListener('load', function () {\n"
	"  var imgs = document.querySelectorAll('img'), ok = 0;\n"
	"  imgs.forEach(function (img) {\n"
	"    if (img.complete && img.naturalWidth > 0) { ok++; return; }\n"
	"    img.classList.add('broken');\n"
	"    var p = document.createElement('p');\n"
	"    p.className = 'noplot';\n"
	"    p.textContent = 'This plot did not load: ' + img.getAttribute('src');\n"
	"    img.parentNode.insertBefore(p, img);\n"
	"  });\n"
	"  var b = document.body.dataset;\n"
	"  b.imagesTotal = imgs.length; b.imagesLoaded = ok;\n"
	"  b.tables = document.querySelectorAll('table').length;\n"
	"  b.tableRows = document.querySelectorAll('table tbody tr').length;\n"
	"  b.checked = 'yes';\n"
	"});\n"
	"</script>\n";

void rdoc_html(const struct rdoc *d, const char *title, FILE *f)
{
	size_t i, j, k;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
	esc(f, title);
	fputs("</title>\n", f);
	fputs(html_head, f);
	fputs("</head>\n<body>\n", f);
	for (i = 0; i < d->n; i++) {
		const struct rblock *b = &d->b[i];
		const struct rtable *t = b->t;

		switch (b->kind) {
		case RB_HEADING:
			fprintf(f, "<h%d", b->level);
			if (b->id) {
				fputs(" id=\"", f);
				esc(f, b->id);
				fputc('"', f);
			}
			fputc('>', f);
			esc(f, b->text);
			fprintf(f, "</h%d>\n", b->level);
			break;
		case RB_PARA:
			if (b->id) {
				fputs("<p id=\"", f);
				esc(f, b->id);
				fputs("\">", f);
			} else {
				fputs("<p>", f);
			}
			esc(f, b->text);
			fputs("</p>\n", f);
			break;
		case RB_ITEM:
			if (!i || d->b[i - 1].kind != RB_ITEM)
				fputs("<ul>\n", f);
			fputs("<li>", f);
			esc(f, b->text);
			fputs("</li>\n", f);
			if (i + 1 >= d->n || d->b[i + 1].kind != RB_ITEM)
				fputs("</ul>\n", f);
			break;
		case RB_TABLE:
			fputs("<table id=\"", f);
			esc(f, t->id);
			fputs("\">\n<thead><tr>", f);
			for (j = 0; j < t->ncols; j++) {
				fputs(t->num[j] ? "<th class=\"num\">" : "<th>", f);
				esc(f, t->head[j]);
				fputs("</th>", f);
			}
			fputs("</tr></thead>\n<tbody>\n", f);
			for (k = 0; k < t->nrows; k++) {
				fputs("<tr>", f);
				for (j = 0; j < t->ncols; j++) {
					fputs(t->num[j] ? "<td class=\"num\">" : "<td>", f);
					esc(f, t->cell[k * t->ncols + j]);
					fputs("</td>", f);
				}
				fputs("</tr>\n", f);
			}
			fputs("</tbody>\n</table>\n", f);
			break;
		case RB_PLOT:
			if (!b->img) {
				fputs("<p class=\"noplot\" id=\"", f);
				esc(f, b->id);
				fputs("\">No plot: ", f);
				esc(f, b->text);
				fputs("</p>\n", f);
				break;
			}
			fputs("<figure id=\"", f);
			esc(f, b->id);
			fputs("\"><img src=\"", f);
			esc(f, b->img);
			fputs(".svg\" alt=\"", f);
			esc(f, b->text);
			fputs("\"><figcaption>", f);
			esc(f, b->text);
			fputs(" (<a href=\"", f);
			esc(f, b->img);
			fputs(".png\">PNG</a>)</figcaption></figure>\n", f);
			break;
		}
	}
	fputs(html_script, f);
	fputs("</body>\n</html>\n", f);
}
