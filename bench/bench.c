/* bench/bench.c: folio-bench builds a synthetic cohort of portfolios and measures the evidence index against a git+cmark baseline. */
#include "folio.h"

#include <cmark.h>
#include <git2.h>
#include <git2/sys/commit.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef FOLIO_STANDARDS_DIR
#define FOLIO_STANDARDS_DIR "standards"
#endif

/* Targets from the issue. */
#define TARGET_FULL_RATIO 1.30   /* full index / baseline */
#define TARGET_REINDEX_PCT 5.0   /* re-index as a percentage of the full index */
#define TARGET_RSS_MIB 64.0      /* peak RSS of any index phase */

#define ENTRIES_PER_COMMIT 3     /* 30 entries -> 10 commits */
#define UNKNOWN_TAG_ONE_IN 50    /* entries with an unknown tag such as #S5 */
#define WORDS_MIN 150            /* words of prose per entry: about WORDS_MIN..WORDS_MAX */
#define WORDS_MAX 600
#define SECTION_WORDS 40         /* rough words in one generated section */
#define ADMIN_ID "bench-admin"
#define SCHOOL_ID "bench-school"
#define QUALIFICATION "QMS"
#define BASE_TIME ((time_t)1693785600) /* 2023-09-04 00:00 UTC, a Monday */
#define DAY ((time_t)86400)

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ options */

typedef struct {
	size_t mentors, entries;
	const char *dir; /* --dir, or NULL for a fresh temporary directory */
	int keep;
	unsigned long long seed;
} bench_options;

/* What every phase needs; set up once in the parent, inherited by each child. */
typedef struct {
	bench_options opt;
	const char *dir;
	const char *login;
	int width; /* digits in a mentor id */
} bench_ctx;

static const char usage[] =
	"usage: folio-bench [--mentors N] [--entries N] [--dir DIR] [--keep] [--seed N]\n"
	"\n"
	"Builds a synthetic cohort of portfolios, then measures a git+cmark baseline,\n"
	"a full index, a re-index with nothing changed and a re-index after one new\n"
	"commit, each in its own process, and prints the figures against the targets.\n"
	"\n"
	"  --mentors N  mentors, one portfolio each (default 1000)\n"
	"  --entries N  entries per portfolio (default 30)\n"
	"  --dir DIR    build the site in DIR (must not be a site yet; it is kept)\n"
	"               default: a fresh directory under $TMPDIR or /tmp, removed at the end\n"
	"  --keep       keep the temporary site directory\n"
	"  --seed N     seed of the text generator (default 1)\n";

static int parse_count(unsigned long long *out, const char *opt, const char *s, unsigned long long max)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-') {
		fprintf(stderr, "folio-bench: option '%s' needs a number\n", opt);
		return -1;
	}
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max) {
		fprintf(stderr, "folio-bench: invalid value '%s' for '%s': use a whole number up to %llu\n", s, opt, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* Returns 0 to run, 1 after --help, -1 on a bad command line. */
static int parse_options(bench_options *o, int argc, char **argv)
{
	o->mentors = 1000;
	o->entries = 30;
	o->dir = NULL;
	o->keep = 0;
	o->seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const char *eq = strchr(a, '=');
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		unsigned long long v;
#define IS(name) (nlen == strlen(name) && strncmp(a, name, nlen) == 0)
		if (IS("--help") || IS("-h")) {
			fputs(usage, stdout);
			return 1;
		}
		if (IS("--keep")) {
			o->keep = 1;
			continue;
		}
		if (!(IS("--mentors") || IS("--entries") || IS("--dir") || IS("--seed"))) {
			fprintf(stderr, "folio-bench: unknown option '%s'\n%s", a, usage);
			return -1;
		}
		val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (IS("--dir")) {
			if (!val || !*val) {
				fprintf(stderr, "folio-bench: option '--dir' needs a directory\n");
				return -1;
			}
			o->dir = val;
		} else if (IS("--mentors")) {
			if (parse_count(&v, "--mentors", val, 1000000) < 0)
				return -1;
			o->mentors = (size_t)v;
		} else if (IS("--entries")) {
			if (parse_count(&v, "--entries", val, 10000) < 0)
				return -1;
			o->entries = (size_t)v;
		} else {
			if (parse_count(&v, "--seed", val, ~0ULL) < 0)
				return -1;
			o->seed = v;
		}
#undef IS
	}
	if (o->mentors == 0 || o->entries == 0) {
		fprintf(stderr, "folio-bench: --mentors and --entries must be at least 1\n");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ errors and memory */

/* Message of the failure in this process; a child prints it before exiting. */
static char errmsg[1024];

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	return -1;
}

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();
	return fail("%s: %s", what, e && e->message ? e->message : "git error");
}

static int folio_fail(const char *what)
{
	return fail("%s: %s", what, folio_error_last());
}

/* Same policy as the engine: allocation failure ends the process. */
static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("folio-bench: out of memory\n", stderr);
		abort();
	}
	return q;
}

/* Growable text: `ptr` NUL-terminated once anything is written; reused across entries. */
typedef struct {
	char *ptr;
	size_t len, cap;
} sbuf;

static void sb_grow(sbuf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->ptr = xrealloc(b->ptr, cap);
	b->cap = cap;
}

static void sb_clear(sbuf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

static void sb_put(sbuf *b, const char *s, size_t n)
{
	sb_grow(b, n);
	memcpy(b->ptr + b->len, s, n);
	b->len += n;
	b->ptr[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void sb_free(sbuf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

/* ------------------------------------------------------------ pseudo-random numbers */

/* xorshift64*, seeded through splitmix64 so that nearby seeds give unrelated streams. */
typedef struct {
	uint64_t s;
} rng;

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* One independent stream per (seed, stream): each portfolio regenerates alone. */
static void rng_seed(rng *r, unsigned long long seed, uint64_t stream)
{
	r->s = splitmix64(splitmix64(seed) ^ (stream * 0xD1B54A32D192ED03ULL));
	if (!r->s)
		r->s = 1;
}

static uint64_t rng_next(rng *r)
{
	uint64_t x = r->s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static size_t rng_below(rng *r, size_t n)
{
	return (size_t)((rng_next(r) >> 11) % n);
}

/* 1 with probability 1/n. */
static int one_in(rng *r, size_t n)
{
	return rng_below(r, n) == 0;
}

#define PICK(r, a) ((a)[rng_below((r), COUNT(a))])

/* ------------------------------------------------------------ text of an entry */

static const char *const valid_tags[] = {
	"S1", "S1.1", "S1.2", "S1.3", "S1.4", "S1.5",
	"S2", "S2.1", "S2.2", "S2.3", "S2.4", "S2.5", "S2.6", "S2.7", "S2.8", "S2.9",
	"S3", "S3.1", "S3.2", "S3.3", "S3.4", "S3.5",
	"S4", "S4.1", "S4.2",
};

static const char *const topics[] = {
	"Observation feedback", "Weekly mentor meeting", "Planning a sequence of lessons",
	"Behaviour for learning", "Marking and moderation", "Subject knowledge audit",
	"Safeguarding briefing", "Reading on retrieval practice", "Managing time and workload",
	"Partnership moderation day", "Setting targets", "Joint planning", "Questioning in year 8",
	"Assessment for learning", "Parents' evening", "Department CPD session", "Lesson study cycle",
	"Team teaching", "Adaptive teaching", "Mock exam moderation", "Professional conduct",
	"Trainee wellbeing check-in", "Research journal club", "Interim review", "Learning walk",
};

static const char *const openers[] = {
	"This week", "During the observation", "In our weekly meeting", "Afterwards",
	"Looking back", "On reflection", "Before the lesson", "At the start of term",
	"In the debrief", "By Thursday", "Over half term", "When we met on Monday",
	"Following the learning walk", "At the department meeting", "In the feedback conversation",
};

static const char *const subjects[] = {
	"my trainee", "the trainee", "I", "we", "the class teacher", "the subject lead",
	"the professional tutor", "our head of department", "the trainee and I", "the SENCo",
};

static const char *const verbs[] = {
	"discussed", "reviewed", "planned", "modelled", "questioned", "agreed", "noticed",
	"observed", "set", "revisited", "unpicked", "rehearsed", "compared", "moderated",
	"co-planned", "talked through", "adapted", "evaluated",
};

static const char *const objects[] = {
	"the sequence of questions", "the starter activity", "a seating plan for year 9",
	"the marking policy", "how to pace the plenary", "the use of mini whiteboards",
	"targets for the next fortnight", "a reading on retrieval practice",
	"the behaviour policy and its rewards", "the scheme of work for the spring term",
	"the exit tickets from period 3", "worked examples for simultaneous equations",
	"a piece of extended writing", "the transition between tasks", "cold calling",
	"the homework tracker", "the safeguarding log procedure", "the department's assessment calendar",
	"the trainee's evaluation of the lesson", "a double-marked set of books",
	"the lesson objectives", "the misconceptions pupils brought to the topic",
};

static const char *const tails[] = {
	"so that pupils could explain their reasoning", "because the lesson had lost momentum",
	"which helped the trainee see the gap", "and we agreed to revisit it next week",
	"before the next observation", "with a focus on the quieter pupils",
	"using the prompts from the training day", "to make the expectations explicit",
	"so the trainee could take the lead", "which the trainee found reassuring",
	"and it made a visible difference to the class", "after a difficult start",
	"against the department's agreed standards", "",
	"", "", "",
};

static const char *const first_names[] = {
	"Ann", "Ben", "Chloe", "Dev", "Ellen", "Farid", "Grace", "Hamza", "Iris", "Jon",
	"Kiran", "Lucy", "Marek", "Nadia", "Owen", "Priya", "Quinn", "Rosa", "Sam", "Tomasz",
};

static const char *const last_names[] = {
	"Baker", "Carter", "Dunne", "Evans", "Fraser", "Gill", "Hughes", "Iqbal", "Jones", "Khan",
	"Lewis", "Morgan", "Nowak", "O'Neill", "Patel", "Reid", "Singh", "Taylor", "Walsh", "Young",
};

typedef struct {
	sbuf *b;
	rng *r;
	unsigned words; /* prose words written so far */
} writer;

static unsigned count_words(const char *s)
{
	unsigned n = 0;
	int in = 0;
	for (; *s; s++) {
		int sp = *s == ' ' || *s == '\n';
		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

/* Append prose and count its words. */
static void put_words(writer *w, const char *s)
{
	sb_puts(w->b, s);
	w->words += count_words(s);
}

/* A tag in one of the spellings people use: "#S2.4", "#s3". */
static void put_tag(writer *w)
{
	const char *t = PICK(w->r, valid_tags);
	sb_printf(w->b, "#%c%s", one_in(w->r, 6) ? 's' : 'S', t + 1);
}

static void put_sentence(writer *w)
{
	char first[64];
	const char *op = one_in(w->r, 2) ? PICK(w->r, openers) : NULL;
	const char *subj = PICK(w->r, subjects), *tail = PICK(w->r, tails);
	if (op) {
		put_words(w, op);
		put_words(w, ", ");
		put_words(w, subj);
	} else {
		snprintf(first, sizeof(first), "%s", subj);
		first[0] = (char)(first[0] >= 'a' && first[0] <= 'z' ? first[0] - 32 : first[0]);
		put_words(w, first);
	}
	sb_puts(w->b, " ");
	put_words(w, PICK(w->r, verbs));
	sb_puts(w->b, " ");
	if (one_in(w->r, 12)) {
		/* some emphasis, so inline parsing has work beyond plain text */
		const char *mark = one_in(w->r, 2) ? "*" : "**";
		sb_puts(w->b, mark);
		put_words(w, PICK(w->r, objects));
		sb_puts(w->b, mark);
	} else {
		put_words(w, PICK(w->r, objects));
	}
	if (*tail) {
		sb_puts(w->b, " ");
		put_words(w, tail);
	}
	sb_puts(w->b, ".");
}

/* A paragraph of 2-6 sentences; tagged paragraphs end in one or two tags. */
static void put_paragraph(writer *w, int tagged)
{
	size_t n = 2 + rng_below(w->r, 5);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_puts(w->b, i % 3 == 2 ? "\n" : " ");
		put_sentence(w);
	}
	if (tagged) {
		sb_puts(w->b, " ");
		put_tag(w);
		if (one_in(w->r, 4)) {
			sb_puts(w->b, " ");
			put_tag(w);
		}
	}
	sb_puts(w->b, "\n\n");
}

static void put_list(writer *w, int ordered)
{
	size_t n = 3 + rng_below(w->r, 3);
	if (one_in(w->r, 2)) {
		put_words(w, PICK(w->r, openers));
		put_words(w, " we agreed:\n\n");
	}
	for (size_t i = 0; i < n; i++) {
		if (ordered)
			sb_printf(w->b, "%zu. ", i + 1);
		else
			sb_puts(w->b, "- ");
		put_sentence(w);
		if (one_in(w->r, 2)) {
			sb_puts(w->b, " ");
			put_tag(w);
		}
		sb_puts(w->b, "\n");
		if (one_in(w->r, 6)) {
			/* a nested item inside a (maybe tagged) item */
			sb_puts(w->b, ordered ? "   - " : "  - ");
			put_sentence(w);
			sb_puts(w->b, "\n");
		}
	}
	sb_puts(w->b, "\n");
}

/* Code must never count: the tags in it are fake, some valid-looking. */
static void put_code_block(writer *w)
{
	static const char *const langs[] = { "text", "", "python", "csv" };
	sb_printf(w->b, "```%s\n", PICK(w->r, langs));
	sb_puts(w->b, "# seating plan v2 #S9 #S2.3\n");
	sb_printf(w->b, "exit_ticket_scores = [%zu, %zu, %zu]  # S1 #S9.9\n",
		rng_below(w->r, 10), rng_below(w->r, 10), rng_below(w->r, 10));
	sb_puts(w->b, "targets: #S4 #S3.2 (copied from the template)\n");
	sb_puts(w->b, "```\n\n");
}

/* An inline code span with a fake tag and a link whose URL has a #S3 fragment. */
static void put_code_and_link(writer *w)
{
	put_sentence(w);
	put_words(w, " The trainee labelled the slide `");
	sb_puts(w->b, one_in(w->r, 2) ? "#S9" : "#S2.4 draft");
	put_words(w, "` by mistake, so we looked again at the ");
	sb_puts(w->b, "[published standards](https://www.gov.uk/government/publications/national-standards-for-school-based-itt-mentors#S3)");
	put_words(w, " together.");
	if (one_in(w->r, 2)) {
		sb_puts(w->b, " ");
		put_tag(w);
	}
	sb_puts(w->b, "\n\n");
}

static void put_unknown_tag(writer *w)
{
	put_sentence(w);
	put_words(w, " This also felt like wider leadership work");
	sb_puts(w->b, one_in(w->r, 2) ? " #S5" : " #S2.12");
	sb_puts(w->b, "\n\n");
}

static void put_quote(writer *w)
{
	sb_puts(w->b, "> ");
	put_words(w, "The trainee said: ");
	put_sentence(w);
	sb_puts(w->b, "\n\n");
}

/*
 * One entry of about 150-600 words of prose, in `b` (cleared first); returns
 * the words written. Sections are added while the entry is short of its
 * target less the average length of a section, so the last one rarely
 * overshoots far.
 */
static unsigned gen_entry(sbuf *b, rng *r, const char *title, int unknown_tag)
{
	writer w = { b, r, 0 };
	/* the last section and the fixed parts add up to ~3 sections past the stop */
	unsigned lo = WORDS_MIN + SECTION_WORDS, hi = WORDS_MAX - 2 * SECTION_WORDS;
	unsigned target = lo + (unsigned)rng_below(r, hi - lo + 1);
	size_t code_at = rng_below(r, 4), link_at = rng_below(r, 4), unknown_at = rng_below(r, 3);
	int code_done = 0, link_done = 0, unknown_done = !unknown_tag;

	sb_clear(b);
	sb_printf(b, "# %s\n\n", title);
	w.words += count_words(title);
	put_paragraph(&w, one_in(r, 2));
	for (size_t section = 0; w.words + SECTION_WORDS < target || !code_done || !link_done || !unknown_done; section++) {
		if (section >= code_at && !code_done) {
			put_code_block(&w);
			code_done = 1;
		}
		if (section >= link_at && !link_done) {
			put_code_and_link(&w);
			link_done = 1;
		}
		if (section >= unknown_at && !unknown_done) {
			put_unknown_tag(&w);
			unknown_done = 1;
		}
		if (w.words + SECTION_WORDS >= target)
			continue;
		switch (rng_below(r, 7)) {
		case 0:
		case 1:
			sb_puts(b, "## ");
			put_words(&w, PICK(r, topics));
			if (one_in(r, 2)) {
				sb_puts(b, " ");
				put_tag(&w);
			}
			sb_puts(b, "\n\n");
			put_paragraph(&w, one_in(r, 3));
			break;
		case 2:
			put_list(&w, 0);
			break;
		case 3:
			put_list(&w, 1);
			break;
		case 4:
			put_quote(&w);
			break;
		default:
			put_paragraph(&w, one_in(r, 2));
			break;
		}
	}
	return w.words;
}

static void slug(char *out, size_t size, const char *title)
{
	size_t n = 0;
	int dash = 0;
	for (const char *s = title; *s && n + 2 < size; s++) {
		char c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && n)
				out[n++] = '-';
			out[n++] = c;
			dash = 0;
		} else if (c != '\'') {
			dash = 1;
		}
	}
	out[n] = '\0';
}

static void mentor_id(char *out, size_t size, const bench_ctx *ctx, size_t i)
{
	snprintf(out, size, "m%0*zu", ctx->width, i + 1);
}

/* ------------------------------------------------------------ phase reports */

/* What a child sends back to the parent through a pipe (well under PIPE_BUF). */
typedef struct {
	int ok;
	double setup_s, entries_s;   /* generate: the two halves */
	unsigned long long bytes, entries, commits, unknown, words;
	unsigned words_min, words_max;
	folio_index_stats stats;     /* index phases; baseline fills portfolios, blobs, parsed */
	char mentor[64];             /* add-commit: whose portfolio */
} phase_report;

typedef int (*phase_fn)(const bench_ctx *ctx, phase_report *rep);

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_site(folio_site **site, const bench_ctx *ctx)
{
	if (folio_site_open(site, ctx->dir) < 0)
		return folio_fail("cannot open the site");
	if (folio_site_act(*site, ctx->login, NULL) < 0) {
		folio_site_free(*site);
		*site = NULL;
		return folio_fail("cannot act as the admin");
	}
	return 0;
}

/* ------------------------------------------------------------ phase: generate */

/* Write one portfolio's entries straight into its repository, ENTRIES_PER_COMMIT to a commit. */
static int gen_portfolio(const bench_ctx *ctx, git_repository *repo, size_t mi, const char *name,
	const char *email, sbuf *text, phase_report *rep)
{
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	git_oid blob, tree, commit;
	const git_oid *parents[1] = { &commit };
	size_t pending = 0, have_parent = 0;
	char title[128], file[256], msg[64];
	rng r;
	int error = 0;

	rng_seed(&r, ctx->opt.seed, mi + 1);
	time_t day = BASE_TIME + (time_t)rng_below(&r, 7) * DAY;
	if (git_treebuilder_new(&tb, repo, NULL) < 0)
		return git_fail("cannot build a tree");
	for (size_t e = 0; e < ctx->opt.entries; e++) {
		struct tm tm;
		char s[100];
		day += (time_t)(1 + rng_below(&r, 4)) * DAY;
		gmtime_r(&day, &tm);
		if (one_in(&r, 3))
			snprintf(title, sizeof(title), "%s", PICK(&r, topics));
		else
			snprintf(title, sizeof(title), "%s: week %zu", PICK(&r, topics), e + 1);
		int unknown = one_in(&r, UNKNOWN_TAG_ONE_IN);
		unsigned words = gen_entry(text, &r, title, unknown);
		slug(s, sizeof(s), title);
		snprintf(file, sizeof(file), "%04d-%02d-%02d-%s.md", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, s);
		if (git_blob_create_from_buffer(&blob, repo, text->ptr, text->len) < 0 ||
		    git_treebuilder_insert(NULL, tb, file, &blob, GIT_FILEMODE_BLOB) < 0) {
			error = git_fail("cannot write an entry");
			goto cleanup;
		}
		rep->bytes += text->len;
		rep->entries++;
		rep->unknown += (unsigned)unknown;
		rep->words += words;
		if (!rep->words_min || words < rep->words_min)
			rep->words_min = words;
		if (words > rep->words_max)
			rep->words_max = words;
		pending++;
		if (pending == ENTRIES_PER_COMMIT || e + 1 == ctx->opt.entries) {
			snprintf(msg, sizeof(msg), "Add %zu entr%s\n", pending, pending == 1 ? "y" : "ies");
			if (git_treebuilder_write(&tree, tb) < 0 ||
			    git_signature_new(&sig, name, email, (git_time_t)(day + 17 * 3600), 0) < 0 ||
			    git_commit_create_from_ids(&commit, repo, NULL, sig, sig, NULL, msg, &tree,
				have_parent, parents) < 0) {
				error = git_fail("cannot commit entries");
				goto cleanup;
			}
			git_signature_free(sig);
			sig = NULL;
			rep->commits++;
			have_parent = 1;
			pending = 0;
		}
	}
	if (git_reference_create(&ref, repo, "refs/heads/main", &commit, 1, "folio-bench") < 0)
		error = git_fail("cannot set main");
cleanup:
	git_reference_free(ref);
	git_signature_free(sig);
	git_treebuilder_free(tb);
	return error;
}

static int phase_generate(const bench_ctx *ctx, phase_report *rep)
{
	folio_init_options io = { .admin_id = ADMIN_ID, .admin_name = "Bench Admin",
		.standards_dir = FOLIO_STANDARDS_DIR };
	folio_school school = { .id = (char *)SCHOOL_ID, .name = (char *)"Bench Academy",
		.phase = FOLIO_PHASE_SECONDARY };
	folio_site *site = NULL;
	git_repository *repo = NULL;
	sbuf csv = { 0 }, text = { 0 };
	char id[32], name[96], email[128];
	size_t count = 0;
	int error = 0;
	double t0 = now_s();

	if (folio_site_init(ctx->dir, ctx->login, &io) < 0)
		return folio_fail("cannot create the site");
	if ((error = open_site(&site, ctx)) < 0)
		return error;
	if (folio_school_add(site, &school) < 0) {
		error = folio_fail("cannot add the school");
		goto cleanup;
	}

	sb_puts(&csv, "id,name,email,roles,school\n");
	for (size_t i = 0; i < ctx->opt.mentors; i++) {
		rng r;
		rng_seed(&r, ctx->opt.seed, i + 1);
		mentor_id(id, sizeof(id), ctx, i);
		/* quoted: some surnames have an apostrophe, and quoting exercises the CSV reader */
		sb_printf(&csv, "%s,\"%s %s\",%s@bench-academy.example,mentor," SCHOOL_ID "\n",
			id, PICK(&r, first_names), PICK(&r, last_names), id);
	}
	if (folio_person_import_csv(site, "mentors.csv", csv.ptr, csv.len, &count) < 0) {
		error = folio_fail("cannot import the mentors");
		goto cleanup;
	}
	for (size_t i = 0; i < ctx->opt.mentors; i++) {
		mentor_id(id, sizeof(id), ctx, i);
		if (folio_portfolio_create(site, id, QUALIFICATION) < 0) {
			error = folio_fail("cannot create a portfolio");
			goto cleanup;
		}
	}
	rep->setup_s = now_s() - t0;

	t0 = now_s();
	git_libgit2_init();
	for (size_t i = 0; i < ctx->opt.mentors; i++) {
		rng r;
		rng_seed(&r, ctx->opt.seed, i + 1);
		mentor_id(id, sizeof(id), ctx, i);
		snprintf(name, sizeof(name), "%s %s", PICK(&r, first_names), PICK(&r, last_names));
		snprintf(email, sizeof(email), "%s@bench-academy.example", id);
		char *path = folio_portfolio_repo_path(site, id);
		if (git_repository_open_bare(&repo, path) < 0)
			error = git_fail("cannot open a portfolio");
		else
			error = gen_portfolio(ctx, repo, i, name, email, &text, rep);
		free(path);
		git_repository_free(repo);
		repo = NULL;
		if (error < 0)
			goto cleanup;
	}
	rep->entries_s = now_s() - t0;
cleanup:
	sb_free(&csv);
	sb_free(&text);
	folio_site_free(site);
	return error;
}

/* ------------------------------------------------------------ phase: baseline */

typedef struct {
	git_oid *v;
	size_t n, cap;
} oid_list;

/* The same selection as the index: blobs anywhere in the tree whose name ends in ".md" (any case). */
static int baseline_collect(const char *root, const git_tree_entry *e, void *payload)
{
	oid_list *l = payload;
	const char *name = git_tree_entry_name(e);
	size_t n = strlen(name);
	(void)root;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || n <= 3 || strcasecmp(name + n - 3, ".md") != 0)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	git_oid_cpy(&l->v[l->n++], git_tree_entry_id(e));
	return 0;
}

static int baseline_repo(const char *path, oid_list *blobs, phase_report *rep)
{
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_oid tip;
	int error = 0, rc;

	blobs->n = 0;
	if (git_repository_open_bare(&repo, path) < 0)
		return git_fail("cannot open a portfolio");
	rep->stats.portfolios++;
	if ((rc = git_reference_name_to_id(&tip, repo, "refs/heads/main")) == GIT_ENOTFOUND) {
		git_error_clear();
		goto cleanup;
	}
	if (rc < 0 || git_commit_lookup(&commit, repo, &tip) < 0 || git_commit_tree(&tree, commit) < 0 ||
	    git_tree_walk(tree, GIT_TREEWALK_PRE, baseline_collect, blobs) < 0) {
		error = git_fail("cannot read a portfolio tree");
		goto cleanup;
	}
	for (size_t i = 0; i < blobs->n; i++) {
		git_blob *blob = NULL;
		if (git_blob_lookup(&blob, repo, &blobs->v[i]) < 0) {
			error = git_fail("cannot read an entry");
			goto cleanup;
		}
		size_t len = (size_t)git_blob_rawsize(blob);
		cmark_node *doc = cmark_parse_document(git_blob_rawcontent(blob), len, CMARK_OPT_DEFAULT);
		cmark_node_free(doc);
		git_blob_free(blob);
		rep->bytes += len;
		rep->stats.blobs++;
		rep->stats.parsed++;
	}
cleanup:
	git_tree_free(tree);
	git_commit_free(commit);
	git_repository_free(repo);
	return error;
}

/* Read every portfolio's Markdown blobs at main and parse each with cmark: no sqlite, no tag analysis. */
static int phase_baseline(const bench_ctx *ctx, phase_report *rep)
{
	oid_list blobs = { 0 };
	sbuf path = { 0 };
	DIR *d;
	struct dirent *de;
	int error = 0;

	git_libgit2_init();
	sb_printf(&path, "%s/portfolios", ctx->dir);
	if (!(d = opendir(path.ptr))) {
		error = fail("cannot read '%s': %s", path.ptr, strerror(errno));
		goto cleanup;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n <= 4 || strcmp(de->d_name + n - 4, ".git") != 0)
			continue;
		sb_clear(&path);
		sb_printf(&path, "%s/portfolios/%s", ctx->dir, de->d_name);
		if ((error = baseline_repo(path.ptr, &blobs, rep)) < 0)
			break;
	}
	closedir(d);
cleanup:
	free(blobs.v);
	sb_free(&path);
	git_libgit2_shutdown();
	return error;
}

/* ------------------------------------------------------------ phases: index, one commit */

static int phase_index(const bench_ctx *ctx, phase_report *rep)
{
	folio_site *site = NULL;
	int error;
	if ((error = open_site(&site, ctx)) < 0)
		return error;
	if (folio_index_update(site, NULL, 0, &rep->stats, NULL, NULL) < 0)
		error = folio_fail("cannot index");
	folio_site_free(site);
	return error;
}

/* One new entry on top of main in the middle mentor's portfolio (not timed). */
static int phase_commit(const bench_ctx *ctx, phase_report *rep)
{
	folio_site *site = NULL;
	git_repository *repo = NULL;
	git_commit *tip = NULL;
	git_tree *tree = NULL;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_oid tip_id, blob, tree_id, commit;
	const git_oid *parents[1] = { &tip_id };
	sbuf text = { 0 };
	char *path = NULL, file[64];
	size_t mi = ctx->opt.mentors / 2;
	rng r;
	int error;

	if ((error = open_site(&site, ctx)) < 0)
		return error;
	git_libgit2_init();
	mentor_id(rep->mentor, sizeof(rep->mentor), ctx, mi);
	path = folio_portfolio_repo_path(site, rep->mentor);
	rng_seed(&r, ctx->opt.seed, (uint64_t)ctx->opt.mentors + 1 + mi);
	gen_entry(&text, &r, "After the interim review", 0);
	if (git_repository_open_bare(&repo, path) < 0 ||
	    git_reference_name_to_id(&tip_id, repo, "refs/heads/main") < 0 ||
	    git_commit_lookup(&tip, repo, &tip_id) < 0 || git_commit_tree(&tree, tip) < 0) {
		error = git_fail("cannot read the portfolio");
		goto cleanup;
	}
	time_t when = (time_t)git_commit_time(tip) + DAY;
	struct tm tm;
	gmtime_r(&when, &tm);
	snprintf(file, sizeof(file), "%04d-%02d-%02d-after-the-interim-review.md",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (git_blob_create_from_buffer(&blob, repo, text.ptr, text.len) < 0 ||
	    git_treebuilder_new(&tb, repo, tree) < 0 ||
	    git_treebuilder_insert(NULL, tb, file, &blob, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&tree_id, tb) < 0 ||
	    git_signature_new(&sig, "Bench Mentor", "mentor@bench-academy.example", (git_time_t)when, 0) < 0 ||
	    git_commit_create_from_ids(&commit, repo, "refs/heads/main", sig, sig, NULL, "Add 1 entry\n",
		&tree_id, 1, parents) < 0) {
		error = git_fail("cannot commit the new entry");
		goto cleanup;
	}
	rep->entries = 1;
	rep->bytes = text.len;
cleanup:
	git_signature_free(sig);
	git_treebuilder_free(tb);
	git_tree_free(tree);
	git_commit_free(tip);
	git_repository_free(repo);
	free(path);
	sb_free(&text);
	folio_site_free(site);
	return error;
}

/* ------------------------------------------------------------ running a phase */

typedef struct {
	double wall, cpu; /* seconds */
	double rss_mib;   /* peak resident set of the phase's process */
	phase_report rep;
} phase_result;

/*
 * Run fn in a forked child so that its peak RSS (from wait4) is its own, and
 * time it from the parent: wall time around fork and wait, CPU from rusage.
 * The child starts as a copy of this small parent process.
 */
static int run_phase(phase_result *out, const char *label, phase_fn fn, const bench_ctx *ctx)
{
	int fds[2], status = 0;
	struct rusage ru;
	pid_t pid;
	size_t got = 0;

	memset(out, 0, sizeof(*out));
	if (pipe(fds) < 0)
		return fail("cannot create a pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	double t0 = now_s();
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return fail("cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		phase_report rep;
		memset(&rep, 0, sizeof(rep));
		close(fds[0]);
		int rc = fn(ctx, &rep);
		rep.ok = rc == 0;
		if (rc < 0)
			fprintf(stderr, "folio-bench: %s: %s\n", label, errmsg);
		const char *p = (const char *)&rep;
		size_t left = sizeof(rep);
		while (left > 0) {
			ssize_t n = write(fds[1], p, left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			p += n;
			left -= (size_t)n;
		}
		_exit(rc == 0 ? 0 : 1);
	}
	close(fds[1]);
	while (got < sizeof(out->rep)) {
		ssize_t n = read(fds[0], (char *)&out->rep + got, sizeof(out->rep) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR)
			return fail("cannot wait for the %s process: %s", label, strerror(errno));
	}
	out->wall = now_s() - t0;
	out->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	out->rss_mib = (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
	if (WIFSIGNALED(status))
		return fail("%s: the process died of signal %d", label, WTERMSIG(status));
	if (got != sizeof(out->rep) || !out->rep.ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errmsg[0] = '\0'; /* the child has said why */
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ output */

static const char rule[] =
	"-------------------------------------------------------------------------------------------------\n";

static void print_phase(const char *label, const phase_result *p, int with_stats, const char *note)
{
	printf("%-26s %9.3f s %9.3f s %7.1f MiB", label, p->wall, p->cpu, p->rss_mib);
	if (with_stats)
		printf("  %10zu %9zu %7zu %7zu", p->rep.stats.portfolios, p->rep.stats.unchanged,
			p->rep.stats.blobs, p->rep.stats.parsed);
	if (note)
		printf("  %s", note);
	putchar('\n');
	fflush(stdout);
}

static void print_baseline(const char *label, const phase_result *p)
{
	printf("%-26s %9.3f s %9.3f s %7.1f MiB  %10zu %9s %7zu %7zu\n", label, p->wall, p->cpu, p->rss_mib,
		p->rep.stats.portfolios, "-", p->rep.stats.blobs, p->rep.stats.parsed);
	fflush(stdout);
}

static const char *verdict(int pass)
{
	return pass ? "PASS" : "MISS";
}

/* ------------------------------------------------------------ main */

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static int count_digits(size_t n)
{
	int d = 1;
	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

int main(int argc, char **argv)
{
	bench_ctx ctx;
	phase_result gen, base1, base2, full, same, commit, one;
	char *made = NULL;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	if ((rc = parse_options(&ctx.opt, argc, argv)) != 0)
		return rc > 0 ? 0 : 2;
	const char *login = getenv("LOGNAME");
	ctx.login = login && *login ? login : "bench";
	ctx.width = count_digits(ctx.opt.mentors) < 4 ? 4 : count_digits(ctx.opt.mentors);
	if (ctx.opt.dir) {
		ctx.dir = ctx.opt.dir;
	} else {
		const char *tmp = getenv("TMPDIR");
		sbuf t = { 0 };
		sb_printf(&t, "%s/folio-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(t.ptr)) {
			fprintf(stderr, "folio-bench: cannot create a directory '%s': %s\n", t.ptr, strerror(errno));
			sb_free(&t);
			return 1;
		}
		made = t.ptr;
		ctx.dir = made;
	}

	printf("folio bench: %zu mentors x %zu entries in %s (seed %llu)\n", ctx.opt.mentors, ctx.opt.entries,
		ctx.dir, ctx.opt.seed);
	printf("each phase runs in its own process: wall time, CPU user+sys and peak RSS of that process\n\n");
	printf("%-26s %11s %11s %11s  %10s %9s %7s %7s\n", "phase", "wall", "cpu", "peak RSS",
		"portfolios", "unchanged", "blobs", "parsed");
	printf("%s", rule);
	fflush(stdout);

	if ((rc = run_phase(&gen, "generate", phase_generate, &ctx)) < 0)
		goto done;
	char note[160];
	snprintf(note, sizeof(note), "site and people %.1f s, entries %.1f s", gen.rep.setup_s, gen.rep.entries_s);
	print_phase("generate", &gen, 0, note);
	printf("  %llu entries in %llu commits, %.1f MiB of Markdown, %u-%u words (mean %llu), %llu with an unknown tag\n",
		gen.rep.entries, gen.rep.commits, (double)gen.rep.bytes / (1024.0 * 1024.0), gen.rep.words_min,
		gen.rep.words_max, gen.rep.words / gen.rep.entries, gen.rep.unknown);

	if ((rc = run_phase(&base1, "baseline", phase_baseline, &ctx)) < 0)
		goto done;
	print_baseline("baseline (git+cmark) #1", &base1);
	if ((rc = run_phase(&full, "full index", phase_index, &ctx)) < 0)
		goto done;
	print_phase("full index", &full, 1, NULL);
	if ((rc = run_phase(&base2, "baseline", phase_baseline, &ctx)) < 0)
		goto done;
	print_baseline("baseline (git+cmark) #2", &base2);
	if ((rc = run_phase(&same, "re-index, unchanged", phase_index, &ctx)) < 0)
		goto done;
	print_phase("re-index, unchanged", &same, 1, NULL);
	if ((rc = run_phase(&commit, "one new commit", phase_commit, &ctx)) < 0)
		goto done;
	printf("  (one new entry committed to %s's portfolio with libgit2, not timed)\n", commit.rep.mentor);
	if ((rc = run_phase(&one, "re-index, one commit", phase_index, &ctx)) < 0)
		goto done;
	print_phase("re-index, one commit", &one, 1, NULL);

	double base = base1.wall < base2.wall ? base1.wall : base2.wall;
	double ratio = full.wall / base;
	double pct_same = 100.0 * same.wall / full.wall, pct_one = 100.0 * one.wall / full.wall;
	double rss = full.rss_mib;
	if (same.rss_mib > rss)
		rss = same.rss_mib;
	if (one.rss_mib > rss)
		rss = one.rss_mib;
	struct rusage self;
	getrusage(RUSAGE_SELF, &self);

	printf("\n%-26s %11s  %-22s %s\n", "figure", "value", "ratio", "target");
	printf("%s", rule);
	printf("%-26s %9.3f s  %-22s %-16s %s\n", "baseline (git+cmark)", base, "", "",
		"min of #1 and #2, run before and after the full index so both see a warm page cache");
	char buf[64];
	snprintf(buf, sizeof(buf), "%.2f x baseline", ratio);
	printf("%-26s %9.3f s  %-22s <= %.2f x       %s\n", "full index", full.wall, buf, TARGET_FULL_RATIO,
		verdict(ratio <= TARGET_FULL_RATIO));
	snprintf(buf, sizeof(buf), "%.2f%% of full index", pct_same);
	printf("%-26s %9.3f s  %-22s <= %.0f%%           %s\n", "re-index, unchanged", same.wall, buf,
		TARGET_REINDEX_PCT, verdict(pct_same <= TARGET_REINDEX_PCT));
	snprintf(buf, sizeof(buf), "%.2f%% of full index", pct_one);
	printf("%-26s %9.3f s  %-22s <= %.0f%%           %s\n", "re-index, one commit", one.wall, buf,
		TARGET_REINDEX_PCT, verdict(pct_one <= TARGET_REINDEX_PCT));
	printf("%-26s %7.1f MiB  %-22s <= %.0f MiB       %s\n", "peak RSS (index phases)", rss, "",
		TARGET_RSS_MIB, verdict(rss <= TARGET_RSS_MIB));
	printf("\neach peak RSS includes pages inherited from the bench process it was forked from (%.1f MiB)\n",
		(double)self.ru_maxrss / 1024.0);
	rc = 0;
done:
	if (rc < 0 && errmsg[0])
		fprintf(stderr, "folio-bench: %s\n", errmsg);
	/* a failed run keeps its site, to look at */
	if (made && !ctx.opt.keep && rc == 0) {
		if (nftw(made, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
			fprintf(stderr, "folio-bench: cannot remove '%s': %s\n", made, strerror(errno));
	} else {
		fprintf(rc < 0 ? stderr : stdout, "site kept in %s\n", ctx.dir);
	}
	free(made);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "folio-bench: cannot write the output\n");
		return 1;
	}
	return rc < 0 ? 1 : 0;
}
