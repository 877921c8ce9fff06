// Config composition: `include: base.yaml` (or a list), resolved relative to the including
// file, applied first and overridden key by key; nested includes; cycles and missing files
// refused with the chain of files. Also the nested train.early_stopping keys.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/train_config.hpp"
#include "core/error.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

class ConfigInclude : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("lrnn_config_include_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "bases" / "data");
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string write(const std::string& name, const std::string& text) {
        const fs::path p = dir_ / name;
        std::ofstream(p) << text;
        return p.string();
    }
    static std::string error_of(const ConfigSource& source) {
        try {
            (void)load_train_config(source);
        } catch (const UserError& e) {
            return e.what();
        }
        return "";
    }
    fs::path dir_;
};

TEST_F(ConfigInclude, BaseAppliesFirstAndTheIncludingFileOverridesKeyByKey) {
    write("bases/base.yaml", "data: {path: data/corpus.txt}\n"
                             "model: {n_layer: 3, n_embd: 32}\n"
                             "train: {lr: 0.01, max_steps: 100}\n");
    const std::string top = write("exp.yaml", "include: bases/base.yaml\n"
                                              "train: {max_steps: 500}\n");
    const TrainConfig c = load_train_config({top, {"model.n_layer=2"}});
    EXPECT_EQ(c.train.max_steps, 500) << "the including file wins";
    EXPECT_EQ(c.train.lr, 0.01) << "the base's other keys stay";
    EXPECT_EQ(c.model.shape.n_embd, 32);
    EXPECT_EQ(c.model.shape.n_layer, 2) << "overrides apply last";
    EXPECT_EQ(c.run.name, "exp") << "the run is named after the file given, not its base";
    // data.path resolves against the folder of the file that set it: the base's.
    EXPECT_EQ(fs::path(c.data.path), (dir_ / "bases" / "data" / "corpus.txt").lexically_normal());
    // An error in a key from the base names the base's file and line.
    write("bases/bad.yaml", "data: {path: x.txt}\ntrain: {lr: -1}\n");
    const std::string uses_bad = write("uses_bad.yaml", "include: bases/bad.yaml\n");
    EXPECT_NE(error_of({uses_bad, {}}).find("bad.yaml:2: train.lr must be > 0"), std::string::npos)
        << error_of({uses_bad, {}});
}

TEST_F(ConfigInclude, AListAppliesInOrderAndIncludesNest) {
    write("bases/root.yaml", "data: {path: r.txt}\ntrain: {lr: 0.1, min_lr: 0.0, epochs: 2}\n");
    write("bases/mid.yaml", "include: root.yaml\ntrain: {lr: 0.2}\n");  // relative to bases/
    write("other.yaml", "train: {lr: 0.3, epochs: 5}\n");
    const std::string top = write("top.yaml", "include: [bases/mid.yaml, other.yaml]\nrun: {seed: 9}\n");
    const TrainConfig c = load_train_config({top, {}});
    EXPECT_EQ(c.train.lr, 0.3) << "the later include wins over the earlier";
    EXPECT_EQ(c.train.epochs, 5);
    EXPECT_EQ(c.run.seed, 9u);
    EXPECT_EQ(fs::path(c.data.path), (dir_ / "bases" / "r.txt").lexically_normal());
    // The resolved config (what config.yaml holds) has no include and loads on its own.
    const TrainConfig again = parse_train_config_text(to_yaml(c), "config.yaml");
    EXPECT_EQ(to_yaml(again), to_yaml(c));
}

TEST_F(ConfigInclude, CyclesAndMissingFilesAreRefusedWithTheChain) {
    const std::string a = write("a.yaml", "include: b.yaml\ndata: {path: x.txt}\n");
    write("b.yaml", "include: a.yaml\n");
    const std::string cycle = error_of({a, {}});
    EXPECT_NE(cycle.find("a.yaml includes " + (dir_ / "b.yaml").string() + " includes " + (dir_ / "a.yaml").string() +
                         ": a cycle"),
              std::string::npos)
        << cycle;
    const std::string self = write("self.yaml", "include: self.yaml\n");
    EXPECT_NE(error_of({self, {}}).find(": a cycle"), std::string::npos);

    const std::string m = write("m.yaml", "include: n.yaml\n");
    write("n.yaml", "include: [missing.yaml]\n");
    const std::string missing = error_of({m, {}});
    EXPECT_NE(missing.find((dir_ / "missing.yaml").string() + ": config file not found"), std::string::npos) << missing;
    EXPECT_NE(missing.find("m.yaml includes " + (dir_ / "n.yaml").string() + " includes " +
                           (dir_ / "missing.yaml").string()),
              std::string::npos)
        << missing;
    // A diamond (two bases sharing one) is no cycle.
    write("d.yaml", "data: {path: x.txt}\n");
    write("l.yaml", "include: d.yaml\n");
    write("r.yaml", "include: d.yaml\n");
    EXPECT_EQ(error_of({write("diamond.yaml", "include: [l.yaml, r.yaml]\n"), {}}), "");
    // Malformed include values.
    EXPECT_NE(error_of({write("bad1.yaml", "include: {a: 1}\n"), {}}).find("include expects a config file name"),
              std::string::npos);
    EXPECT_NE(error_of({write("bad2.yaml", "include: \"\"\n"), {}}).find("include expects a config file name"),
              std::string::npos);
    // A stored config never includes.
    EXPECT_THROW((void)parse_train_config_text("include: a.yaml\ndata: {path: x}\n", "config.yaml"), UserError);
}

TEST_F(ConfigInclude, EarlyStoppingIsANestedMapAndADottedOverride) {
    const std::string f = write("es.yaml", "data: {path: x.txt}\n"
                                           "train:\n  early_stopping: {patience: 3, min_delta: 0.01}\n");
    const TrainConfig c = load_train_config({f, {}});
    EXPECT_EQ(c.train.early_stopping.patience, 3);
    EXPECT_EQ(c.train.early_stopping.min_delta, 0.01);
    const TrainConfig o = load_train_config({f, {"train.early_stopping.patience=5"}});
    EXPECT_EQ(o.train.early_stopping.patience, 5);
    // Off by default; written back as the same nested map.
    EXPECT_EQ(load_train_config({write("plain.yaml", "data: {path: x.txt}\n"), {}}).train.early_stopping.patience, 0);
    const std::string yaml = to_yaml(c);
    EXPECT_NE(yaml.find("  early_stopping:\n    patience: 3\n    min_delta: 0.01\n"), std::string::npos) << yaml;
    EXPECT_EQ(parse_train_config_text(yaml, "config.yaml").train.early_stopping.patience, 3);
    // Mistakes name the key.
    EXPECT_NE(error_of({f, {"train.early_stopping.patience=-1"}}).find("train.early_stopping.patience must be >= 0"),
              std::string::npos);
    EXPECT_NE(error_of({write("e1.yaml", "data: {path: x}\ntrain: {early_stopping: 3}\n"), {}})
                  .find("train.early_stopping must be a mapping of its keys (patience, min_delta)"),
              std::string::npos);
    EXPECT_NE(error_of({write("e2.yaml", "data: {path: x}\ntrain: {early_stopping: {patiense: 3}}\n"), {}})
                  .find("unknown key 'train.early_stopping.patiense' (did you mean 'train.early_stopping.patience'?)"),
              std::string::npos)
        << error_of({write("e3.yaml", "data: {path: x}\ntrain: {early_stopping: {patiense: 3}}\n"), {}});
}

// The example pair in configs/ loads, and says what its base does not.
TEST(ConfigExamples, TheLongShakespeareConfigBuildsOnItsBase) {
    const std::string configs = std::string(LRNN_SOURCE_DIR) + "/configs/";
    const TrainConfig base = load_train_config({configs + "base-char.yaml", {}});
    const TrainConfig longer = load_train_config({configs + "shakespeare-char-long.yaml", {}});
    EXPECT_EQ(longer.data.path, base.data.path);
    EXPECT_EQ(longer.model.shape.n_embd, base.model.shape.n_embd);
    EXPECT_GT(longer.train.max_steps, base.train.max_steps);
    EXPECT_GT(longer.train.early_stopping.patience, 0);
    EXPECT_EQ(longer.run.name, "shakespeare-char-long");
    EXPECT_TRUE(fs::exists(longer.data.path)) << longer.data.path;
}

}  // namespace
}  // namespace lrnn
