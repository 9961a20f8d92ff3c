/*
 * floor_focus.c - the floor for a threads view of ONE process: for every thread of PID, open,
 * read and close task/TID/stat, task/TID/status, task/TID/schedstat, task/TID/sched and
 * task/TID/io, and parse what a threads view needs from them (state, utime, stime, processor;
 * the two ctxt-switch counts; run and wait ns; se.nr_migrations; rchar, wchar, syscr, syscw,
 * read_bytes, write_bytes). For threads not in state R, up to --waiting N of them (default: all;
 * threadtop's monitor reads only the rows on screen and a page either side), also
 * task/TID/syscall and task/TID/wchan, and the fd link when the call's first argument is a
 * descriptor (a read(2)). Same method as ../../shared/bench/floor.c, which has no such mode: the
 * median CPU time of one pass (process CPU clock), passes paced like a monitor's refreshes.
 *
 * Build:  gcc -O2 -Wall -o floor_focus benches/floor_focus.c
 * Usage:  floor_focus --pid PID [--passes N] [--interval-ms MS] [--waiting N]
 * Output: floor_focus pid=P passes=N threads=T cpu_us_median=... cpu_us_p10=... cpu_us_p90=...
 *         us_per_thread=...
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long long checksum;

static ssize_t read_at(int dirfd, const char *path, char *buf, size_t size)
{
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

static char parse_stat(const char *buf)
{
    const char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return 0;
    p += 2;
    unsigned long long state = (unsigned char)*p, utime = 0, stime = 0, processor = 0;
    for (int field = 3; *p && field <= 39; field++) {
        if (field == 14) utime = strtoull(p, NULL, 10);
        else if (field == 15) stime = strtoull(p, NULL, 10);
        else if (field == 39) processor = strtoull(p, NULL, 10);
        p = strchr(p, ' ');
        if (!p)
            break;
        p++;
    }
    checksum += state + utime + stime + processor;
    return (char)state;
}

static void parse_status(const char *buf)
{
    const char *p = strstr(buf, "\nvoluntary_ctxt_switches:");
    if (p)
        checksum += strtoull(p + 25, NULL, 10);
    p = strstr(buf, "\nnonvoluntary_ctxt_switches:");
    if (p)
        checksum += strtoull(p + 28, NULL, 10);
}

static void parse_schedstat(const char *buf)
{
    char *end;
    strtoull(buf, &end, 10);
    checksum += strtoull(end, NULL, 10);
}

static void parse_sched(const char *buf)
{
    const char *p = strstr(buf, "\nse.nr_migrations");
    if (p && (p = strchr(p, ':')))
        checksum += strtoull(p + 1, NULL, 10);
}

static void parse_io(const char *buf)
{
    static const char *keys[] = { "rchar:", "wchar:", "syscr:", "syscw:", "read_bytes:", "write_bytes:" };
    for (unsigned i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *p = strstr(buf, keys[i]);
        if (p)
            checksum += strtoull(p + strlen(keys[i]), NULL, 10);
    }
}

/* syscall: "NR 0xARG1 ..." ("running", "-1 ..." otherwise); the fd link when NR is read(2). */
static void parse_syscall(const char *buf, int pid)
{
    char *end;
    long nr = strtol(buf, &end, 10);
    if (end == buf || nr < 0)
        return;
    unsigned long long fd = strtoull(end, NULL, 16);
    checksum += nr + fd;
#ifdef __x86_64__
    const long read_nr = 0;
#else
    const long read_nr = 63;
#endif
    if (nr == read_nr) {
        char path[64], link[256];
        snprintf(path, sizeof path, "/proc/%d/fd/%llu", pid, fd);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n > 0)
            checksum += (unsigned char)link[0];
    }
}

static long waiting_max = -1;

static long one_pass(int taskfd, int pid)
{
    char path[300], buf[4096];
    long threads = 0, waiting = 0;
    int fd = dup(taskfd);
    if (fd < 0)
        return 0;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return 0;
    }
    rewinddir(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "%s/stat", de->d_name);
        if (read_at(taskfd, path, buf, sizeof buf) < 0)
            continue;
        char state = parse_stat(buf);
        snprintf(path, sizeof path, "%s/status", de->d_name);
        if (read_at(taskfd, path, buf, sizeof buf) >= 0)
            parse_status(buf);
        snprintf(path, sizeof path, "%s/schedstat", de->d_name);
        if (read_at(taskfd, path, buf, sizeof buf) >= 0)
            parse_schedstat(buf);
        snprintf(path, sizeof path, "%s/sched", de->d_name);
        if (read_at(taskfd, path, buf, sizeof buf) >= 0)
            parse_sched(buf);
        snprintf(path, sizeof path, "%s/io", de->d_name);
        if (read_at(taskfd, path, buf, sizeof buf) >= 0)
            parse_io(buf);
        if (state != 'R' && (waiting_max < 0 || waiting < waiting_max)) {
            waiting++;
            snprintf(path, sizeof path, "%s/syscall", de->d_name);
            if (read_at(taskfd, path, buf, sizeof buf) >= 0)
                parse_syscall(buf, pid);
            snprintf(path, sizeof path, "%s/wchan", de->d_name);
            if (read_at(taskfd, path, buf, sizeof buf) >= 0)
                checksum += (unsigned char)buf[0];
        }
        threads++;
    }
    closedir(d);
    return threads;
}

static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "pid", required_argument, 0, 'p' },
        { "passes", required_argument, 0, 'n' },
        { "interval-ms", required_argument, 0, 'i' },
        { "waiting", required_argument, 0, 'w' },
        { 0, 0, 0, 0 },
    };
    int pid = 0, passes = 20, interval_ms = 1000, c;
    while ((c = getopt_long(argc, argv, "p:n:i:w:", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': pid = atoi(optarg); break;
        case 'n': passes = atoi(optarg); break;
        case 'i': interval_ms = atoi(optarg); break;
        case 'w': waiting_max = atol(optarg); break;
        default:
            fprintf(stderr, "usage: %s --pid PID [--passes N] [--interval-ms MS] [--waiting N]\n", argv[0]);
            return 2;
        }
    }
    if (pid <= 0 || passes < 1) {
        fprintf(stderr, "usage: %s --pid PID [--passes N] [--interval-ms MS] [--waiting N]\n", argv[0]);
        return 2;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    int taskfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (taskfd < 0) {
        perror(path);
        return 1;
    }
    double *cpu = calloc(passes, sizeof *cpu);
    if (!cpu)
        return 1;
    long threads = 0;
    for (int i = 0; i < passes; i++) {
        if (i > 0 && interval_ms > 0) {
            struct timespec ts = { interval_ms / 1000, (interval_ms % 1000) * 1000000L };
            nanosleep(&ts, NULL);
        }
        double t = cpu_us();
        threads = one_pass(taskfd, pid);
        cpu[i] = cpu_us() - t;
    }
    qsort(cpu, passes, sizeof *cpu, cmp_double);
    double med = cpu[passes / 2];
    printf("floor_focus pid=%d passes=%d waiting=%ld threads=%ld cpu_us_median=%.0f cpu_us_p10=%.0f cpu_us_p90=%.0f "
           "us_per_thread=%.2f checksum=%llu\n",
           pid, passes, waiting_max, threads, med, cpu[passes / 10], cpu[passes * 9 / 10], threads ? med / threads : 0,
           checksum % 1000);
    return 0;
}
