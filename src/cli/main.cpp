// The `sparsecim` command.
#include <cstdio>

int main() {
    std::puts("sparsecim");
    return 0;
}
