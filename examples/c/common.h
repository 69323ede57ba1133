/* Helpers shared by the C examples: print pluto's lines as whack does, report failures. */
#ifndef EXAMPLES_COMMON_H
#define EXAMPLES_COMMON_H

#include <stdio.h>
#include <ipsecauto.h>

/* Line callback: prints each line of pluto's answer with its code, as `ipsec whack` shows it. */
static int print_line(void *userdata, unsigned int rc, const char *text)
{
	(void)userdata;
	printf("%03u %s\n", rc, text);
	fflush(stdout);
	return 0;
}

/* Prints why a call failed (with file and line for configuration errors). */
static void report(ipsecauto_session *s, ipsecauto_result r)
{
	const char *file = ipsecauto_session_error_file(s);
	if (file != NULL)
		fprintf(stderr, "%s: %s:%u: %s\n", ipsecauto_result_name((int)r), file,
			ipsecauto_session_error_line(s), ipsecauto_session_errmsg(s));
	else
		fprintf(stderr, "%s: %s\n", ipsecauto_result_name((int)r), ipsecauto_session_errmsg(s));
}

/* A session on the control socket `ctl` (NULL: pluto's default) printing every line. */
static ipsecauto_session *open_session(const char *ctl)
{
	ipsecauto_session *s = NULL;
	if (ipsecauto_session_new(&s) != IPSECAUTO_OK)
		return NULL;
	if (ipsecauto_session_set_ctl_socket(s, ctl) != IPSECAUTO_OK ||
	    ipsecauto_session_set_line_callback(s, print_line, NULL) != IPSECAUTO_OK) {
		report(s, ipsecauto_session_errcode(s));
		ipsecauto_session_free(s);
		return NULL;
	}
	return s;
}

#endif
