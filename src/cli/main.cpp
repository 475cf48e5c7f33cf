// The `sparsecim` command: import, accuracy, evaluate, run, sweep, reproduce, zoo, params, train,
// finetune, tune, infer, price, each in its own file (cli/commands.hpp).
// Every failure becomes one line on stderr ("sparsecim: error: ...") and exit code 2; --check-exact
// failures exit 1.
#include <cstdio>
#include <vector>

#include "cli/commands.hpp"
#include "core/atomic_file.hpp"
#include "core/malloc_tuning.hpp"
#include "sim/simulator.hpp"

using namespace sparsecim;

int main(int argc, char** argv) {
    sparsecim::tune_malloc_by_reexec(argv);
    CLI::App app{"sparsecim: sparse DNNs on RRAM compute-in-memory crossbars"};
    app.set_version_flag("--version", [] {
        return std::string("sparsecim ") + SPARSECIM_VERSION +
               "\nsimulator kernel: " + kernel_name(best_kernel()) +
               " (the best this CPU runs)\nallocator: " + malloc_setting();
    });
    app.require_subcommand(1);
    std::vector<cli::Command> commands = {
        cli::add_import(app), cli::add_accuracy(app),  cli::add_evaluate(app), cli::add_run(app),
        cli::add_sweep(app),  cli::add_reproduce(app), cli::add_zoo(app),      cli::add_params(app),
        cli::add_tune(app),   cli::add_infer(app),     cli::add_price(app)};
    for (cli::Command& c : cli::add_training(app)) commands.push_back(std::move(c));

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "sparsecim: error: %s (see --help)\n", e.what());
        return 2;
    }

    // An interrupted command removes its half-written temporary files (results and models are
    // written to a temporary file and renamed into place, so finished files stay complete).
    install_interrupt_cleanup("sparsecim: interrupted\n");
    try {
        for (const cli::Command& c : commands)
            if (c.sub->parsed()) return c.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sparsecim: error: %s\n", cli::cli_message(e).c_str());
        return 2;
    }
    return 2;
}
