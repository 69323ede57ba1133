/* Brings a connection up and streams pluto's answer, as `ipsec auto --up NAME` does.
 *
 *   up CTLSOCKET NAME [--asynchronous] [--timeout-ms N]
 *
 * Exits with the status `ipsec auto` would give.
 */
#include <stdlib.h>
#include <string.h>
#include "common.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s CTLSOCKET NAME [--asynchronous] [--timeout-ms N]\n", argv[0]);
		return 2;
	}
	if (ipsecauto_abi_version() != IPSECAUTO_ABI_VERSION) {
		fprintf(stderr, "libipsecauto ABI %u, built for %u\n", ipsecauto_abi_version(),
			IPSECAUTO_ABI_VERSION);
		return 2;
	}
	ipsecauto_session *s = open_session(argv[1]);
	if (s == NULL)
		return 2;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--asynchronous") == 0)
			ipsecauto_session_set_asynchronous(s, true);
		else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc)
			ipsecauto_session_set_timeout_ms(s, (uint32_t)strtoul(argv[++i], NULL, 10));
	}
	int status = 0;
	ipsecauto_result r = ipsecauto_up(s, argv[2], &status);
	if (r != IPSECAUTO_OK)
		report(s, r);
	ipsecauto_session_free(s);
	return status;
}
