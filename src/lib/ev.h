/* ev.h: the event loop (epoll), one-shot timers and a before-sleep hook. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_EV_H
#define BUZON_EV_H

#include <stdbool.h>
#include <stdint.h>

struct ev;

#define EV_READ 0x1u
#define EV_WRITE 0x2u

/* Called on the loop thread with the events that fired (EV_READ/EV_WRITE;
   errors and hang-ups are reported as EV_READ so the reader sees them). */
typedef void ev_fd_fn(struct ev *ev, int fd, unsigned events, void *arg);
typedef void ev_timer_fn(struct ev *ev, void *arg);
typedef void ev_hook_fn(struct ev *ev, void *arg);

/* A new loop.  Owned by the caller, freed with ev_free(). */
struct ev *ev_new(void);
/* Free the loop (registered fds are not closed). Sets *evp = NULL. */
void ev_free(struct ev **evp);

/* Watch fd for mask (EV_READ|EV_WRITE, may be 0).  Returns 0 or -1
   (errno set).  One registration per fd. */
int ev_add_fd(struct ev *ev, int fd, unsigned mask, ev_fd_fn *fn, void *arg);
/* Change the mask of a watched fd.  Returns 0 or -1. */
int ev_mod_fd(struct ev *ev, int fd, unsigned mask);
/* Stop watching fd (before closing it).  Safe from inside callbacks: no
   further callback for fd is made in the current iteration. */
void ev_del_fd(struct ev *ev, int fd);

/* Run fn(arg) once after ms milliseconds.  Returns a non-zero id for
   ev_del_timer().  Safe to call from callbacks. */
uint64_t ev_add_timer(struct ev *ev, uint64_t ms, ev_timer_fn *fn, void *arg);
/* Cancel a timer that has not fired; id 0 or a fired id is ignored. */
void ev_del_timer(struct ev *ev, uint64_t id);

/* fn(arg) runs before every wait (where closing connections are reaped). */
void ev_set_before_sleep(struct ev *ev, ev_hook_fn *fn, void *arg);

/* Run until ev_stop().  Returns 0, or -1 if epoll fails. */
int ev_run(struct ev *ev);
/* Make ev_run() return after the current iteration (async-signal-unsafe:
   call from the loop thread; signals arrive through a signalfd). */
void ev_stop(struct ev *ev);

/* Monotonic milliseconds, cached once per loop iteration. */
uint64_t ev_now_ms(struct ev *ev);

#endif
