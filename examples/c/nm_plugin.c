/* A VPN plugin in the style of NetworkManager's: from inside a GLib main loop it adds a
 * connection from memory and brings it up, never blocking the loop, and answers pluto's XAUTH
 * prompts from its own secrets.
 *
 *   nm_plugin CTLSOCKET NAME USERNAME PASSWORD [TIMEOUT_S [--skip-add]]
 *
 * --skip-add: the connection is already loaded in pluto; only bring it up.
 * Exits with the status of the last step (0 when the connection came up).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <glib-unix.h>
#include <ipsecauto.h>

typedef enum { STEP_ADD, STEP_UP, STEP_DONE } step;

typedef struct {
	GMainLoop *loop;
	ipsecauto_session *session;
	ipsecauto_op *op;
	guint watch;
	step step;
	const char *name;
	const char *username;
	const char *password;
	int exit_status;
	unsigned ticks; /* main-loop iterations seen while the operation ran */
} plugin;

/* West's side of an IKEv1 PSK + XAUTH connection (the test scene's addresses). */
static const char config_template[] =
	"config setup\n"
	"\n"
	"conn %s\n"
	"\tikev2=no\n"
	"\tauthby=secret\n"
	"\tleft=198.51.100.45\n"
	"\tleftid=@west\n"
	"\tleftxauthclient=yes\n"
	"\tright=198.51.100.23\n"
	"\trightid=@east\n"
	"\trightxauthserver=yes\n"
	"\txauthby=alwaysok\n"
	"\tretransmit-timeout=1s\n";

static int on_line(void *userdata, unsigned int rc, const char *text)
{
	plugin *p = userdata;
	g_print("[%s] %03u %s\n", p->step == STEP_ADD ? "add" : "up", rc, text);
	return 0;
}

/* pluto asks for XAUTH credentials: answer from the plugin's secrets (never logged). */
static int on_xauth(void *userdata, ipsecauto_prompt prompt, char *buf, size_t size)
{
	plugin *p = userdata;
	const char *answer = prompt == IPSECAUTO_PROMPT_USERNAME ? p->username : p->password;
	if (answer == NULL || strlen(answer) >= size)
		return -1;
	g_print("[xauth] pluto asks for the %s\n",
		prompt == IPSECAUTO_PROMPT_USERNAME ? "username" : "password");
	memcpy(buf, answer, strlen(answer) + 1);
	return 0;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer userdata);

/* Starts a step; its descriptor goes into the main loop. */
static gboolean begin(plugin *p, ipsecauto_operation operation)
{
	ipsecauto_result r = ipsecauto_op_start(p->session, operation, p->name, &p->op);
	if (r != IPSECAUTO_OK) {
		g_printerr("%s: %s\n", ipsecauto_result_name((int)r),
			   ipsecauto_session_errmsg(p->session));
		return FALSE;
	}
	p->watch = g_unix_fd_add(ipsecauto_op_fd(p->op), G_IO_IN, on_readable, p);
	return TRUE;
}

static void finish(plugin *p, int exit_status)
{
	p->exit_status = exit_status;
	p->step = STEP_DONE;
	g_main_loop_quit(p->loop);
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer userdata)
{
	plugin *p = userdata;
	(void)fd;
	(void)cond;
	ipsecauto_result r = ipsecauto_op_advance(p->op);
	if (r == IPSECAUTO_PENDING)
		return G_SOURCE_CONTINUE;

	int status = ipsecauto_op_exit_status(p->op);
	if (r != IPSECAUTO_OK)
		g_printerr("%s step: %s: %s (exit status %d)\n", p->step == STEP_ADD ? "add" : "up",
			   ipsecauto_result_name((int)r), ipsecauto_op_errmsg(p->op), status);
	ipsecauto_op_free(p->op);
	p->op = NULL;
	p->watch = 0;
	if (r == IPSECAUTO_OK && p->step == STEP_ADD) {
		p->step = STEP_UP;
		if (!begin(p, IPSECAUTO_OP_UP))
			finish(p, 2);
	} else {
		finish(p, status);
	}
	return G_SOURCE_REMOVE;
}

/* Proves the loop kept turning while pluto was being talked to. */
static gboolean on_tick(gpointer userdata)
{
	plugin *p = userdata;
	p->ticks++;
	return G_SOURCE_CONTINUE;
}

static gboolean on_timeout(gpointer userdata)
{
	plugin *p = userdata;
	g_printerr("timed out: cancelling\n");
	if (p->op != NULL) {
		ipsecauto_op_cancel(p->op);
		ipsecauto_op_free(p->op);
		p->op = NULL;
	}
	if (p->watch != 0)
		g_source_remove(p->watch);
	p->watch = 0;
	finish(p, 124);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s CTLSOCKET NAME USERNAME PASSWORD [TIMEOUT_S [--skip-add]]\n",
			argv[0]);
		return 2;
	}
	plugin p = {
		.loop = g_main_loop_new(NULL, FALSE),
		.name = argv[2],
		.username = argv[3],
		.password = argv[4],
		.step = STEP_ADD,
	};
	char *config = g_strdup_printf(config_template, p.name);
	if (ipsecauto_session_new(&p.session) != IPSECAUTO_OK ||
	    ipsecauto_session_set_ctl_socket(p.session, argv[1]) != IPSECAUTO_OK ||
	    ipsecauto_session_set_config_text(p.session, config, ".") != IPSECAUTO_OK ||
	    ipsecauto_session_set_line_callback(p.session, on_line, &p) != IPSECAUTO_OK ||
	    ipsecauto_session_set_xauth_callback(p.session, on_xauth, &p) != IPSECAUTO_OK) {
		fprintf(stderr, "setting up: %s\n", ipsecauto_session_errmsg(p.session));
		return 2;
	}
	g_free(config);
	guint tick = g_timeout_add(1, on_tick, &p);
	guint timeout = g_timeout_add_seconds(argc > 5 ? (guint)atoi(argv[5]) : 30, on_timeout, &p);
	if (argc > 6 && strcmp(argv[6], "--skip-add") == 0)
		p.step = STEP_UP;
	if (begin(&p, p.step == STEP_ADD ? IPSECAUTO_OP_ADD : IPSECAUTO_OP_UP))
		g_main_loop_run(p.loop);
	else
		p.exit_status = 2;
	if (p.step == STEP_DONE && p.exit_status != 124)
		g_source_remove(timeout);
	g_source_remove(tick);
	g_print("[loop] done: exit status %d\n", p.exit_status);
	ipsecauto_session_free(p.session);
	g_main_loop_unref(p.loop);
	return p.exit_status;
}
