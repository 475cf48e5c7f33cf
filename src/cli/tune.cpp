// `sparsecim tune`: iso-accuracy search of every scheme's main knob (pipeline/tune.hpp).
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "core/atomic_file.hpp"
#include "pipeline/tune.hpp"
#include "report/tune_report.hpp"

namespace sparsecim::cli {

Command add_tune(CLI::App& app) {
    struct Args {
        TuneOptions t;
        std::string schemes = "csr,twofold,sme,pattern", out = "sparsecim-tune";
    };
    auto a = std::make_shared<Args>();
    TuneOptions& t = a->t;
    EvalOptions& ev = t.base;
    t.verify = 2;  // the ranking alone chooses too conservatively (docs/tune.md)
    auto* sub = app.add_subcommand(
        "tune",
        "Iso-accuracy search: each scheme's most efficient knob value within --max-drop "
        "of dense (validation split), then finetuned fully and reported on the test set");
    sub->add_option("--model", ev.model, "ONNX file or zoo:NAME (default: the bundled model)");
    add_input_shape_option(sub, ev.input_shapes);
    sub->add_option("--hw", ev.hw_path, "hardware YAML (default: configs/hw/dense.yaml)");
    sub->add_option("--set", ev.hw_overrides, "override a hardware field, e.g. --set ou.rows=8");
    sub->add_option("--schemes", a->schemes, "comma-separated schemes to tune");
    sub->add_option("--param", ev.scheme_params,
                    "a fixed scheme parameter, e.g. --param pattern.k=4");
    sub->add_option("--grid", t.grid,
                    "a scheme's knob and values, e.g. --grid csr.sparsity=0.9,0.8 (default per "
                    "scheme: docs/tune.md)");
    sub->add_option("--max-drop", t.max_drop_pp,
                    "largest top-1 loss against dense, percentage points, on the validation "
                    "split");
    sub->add_option("--rank-epochs", t.rank_epochs, "epochs of a ranking finetune");
    sub->add_option("--rank-images", t.rank_images, "training images of a ranking finetune");
    sub->add_option("--val-images", t.val_images, "validation images a candidate is scored on")
        ->check(CLI::Range(int64_t{1}, int64_t{10000}));
    sub->add_option("--final-epochs", t.final_epochs, "epochs of the final finetune");
    add_per_scheme_option(sub, "--final-epochs-scheme", "EPOCHS", t.final_epochs_scheme,
                          "that scheme's --final-epochs");
    sub->add_option("--final-images", t.final_images,
                    "training images of the final finetune (0: all 60000)");
    sub->add_option("--verify", t.verify,
                    "full finetunes per scheme that check the choice on the validation split, "
                    "bisecting the frontier above the ranking's choice (default 2; 0: none)")
        ->check(CLI::Range(0, 100));
    sub->add_option("--test-images", t.test_images, "test images the final top-1 is scored on")
        ->check(CLI::Range(int64_t{1}, int64_t{10000}));
    sub->add_option("--images", ev.images, "test images simulated bit-serially in the final run");
    add_finetune_recipe(sub, ev);
    sub->add_option("--seed", ev.seed, "seed for every random choice");
    add_data_options(sub, ev.data);
    sub->add_option("--out", a->out,
                    "output directory (tune.json, tune.html, results.json, models/)");
    sub->add_flag("--resume", t.resume, "keep the candidates an interrupted tune finished");
    return {sub, [a] {
                TuneOptions& opt = a->t;
                opt.schemes = split_list(a->schemes);
                opt.out = a->out;
                opt.base.accuracy_images = opt.test_images;
                opt.base.finetune_epochs = opt.rank_epochs;  // so that the trainer is attached
                attach_finetuner(opt.base);
                install_interrupt_cleanup(
                    "sparsecim: interrupted; the finished candidates are kept in " +
                    (opt.out / "tune.jsonl").string() +
                    ", continue with the same command and "
                    "--resume\n");
                if (opt.resume) remove_stale_temp_files(opt.out);
                const TuneResult r = tune(opt, [](const std::string& line) {
                    std::fprintf(stderr, "%s\n", line.c_str());
                });
                const auto html = write_tune_files(r, opt.out);
                const nlohmann::json j = tune_json(r);
                for (const auto& s : j["schemes"]) {
                    const nlohmann::json test = s.value("test_top1", nlohmann::json());
                    char top1[32] = "-";
                    if (test.is_number())
                        std::snprintf(top1, sizeof top1, "%.2f%%", 100.0 * test.get<double>());
                    std::printf(
                        "%-8s %s=%s  test top-1 %s%s\n", s["scheme"].get<std::string>().c_str(),
                        s["key"].get<std::string>().c_str(), s["chosen"].get<std::string>().c_str(),
                        top1, s["within_max_drop"].get<bool>() ? "" : "  (none within --max-drop)");
                }
                std::printf("tune: %s  results: %s\n", html.string().c_str(),
                            (opt.out / "results.json").string().c_str());
                return 0;
            }};
}

}  // namespace sparsecim::cli
