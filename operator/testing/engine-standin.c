/*
 * A tiny stand-in for the engine container, for tests and benchmarks that run hundreds of engine
 * pods on one machine: a real engine process costs ~60 MB, this one ~1 MB. It listens where the
 * engine would (WORKFLOW_ADDR "host:port" or ":port", else PORT, else 8080) and answers every
 * request with 200 and a small JSON body, so readiness (/readyz) and liveness (/livez) probes pass.
 * SIGTERM ends it, as it ends the engine.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  const char *addr = getenv("WORKFLOW_ADDR");
  const char *port_env = getenv("PORT");
  char host[64] = "";
  int port = 8080;
  if (addr && strrchr(addr, ':')) {
    const char *colon = strrchr(addr, ':');
    size_t n = (size_t)(colon - addr) < sizeof host - 1 ? (size_t)(colon - addr) : sizeof host - 1;
    memcpy(host, addr, n);
    host[n] = 0;
    port = atoi(colon + 1);
  } else if (port_env) {
    port = atoi(port_env);
  }
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)port);
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  if (host[0] && inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
    fprintf(stderr, "engine-standin: cannot listen on %s\n", addr);
    return 1;
  }
  if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 128) < 0) {
    perror("engine-standin: listen");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  printf("engine-standin listening on %s:%d\n", host[0] ? host : "0.0.0.0", port);
  fflush(stdout);
  const char *body = "{\"status\":\"ready\",\"standin\":true}";
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    char buf[4096];
    if (read(c, buf, sizeof buf) > 0) {
      dprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(body), body);
    }
    close(c);
  }
}
