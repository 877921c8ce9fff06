// Bits per byte that cannot be gamed (docs/formats.md, "Bits per byte and the <unk> share"):
// the share of validation bytes that fell into <unk> is counted, reported by training, summary
// and eval, and compare never ranks a run's bits per byte that has one against runs that cut
// the text differently.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "compare/report.hpp"
#include "compare/table.hpp"
#include "core/json.hpp"
#include "data/tokenizer.hpp"
#include "temp_dir.hpp"
#include "tiny_run.hpp"
#include "train/evaluation.hpp"

namespace lrnn {
namespace {

TEST(UnkShare, CountsTheBytesOfPredictedUnkTokens) {
    const std::vector<TokenId> tokens = {Tokenizer::kUnk, 5, Tokenizer::kUnk, 7, Tokenizer::kUnk};
    const std::vector<std::uint32_t> bytes = {100, 2, 5, 1, 2};
    const UnkBytes u = count_unk_bytes(tokens, bytes, Tokenizer::kUnk);
    EXPECT_EQ(u.bytes, 10u) << "the first token is never predicted";
    EXPECT_EQ(u.unk_bytes, 7u);
    EXPECT_DOUBLE_EQ(u.share(), 0.7);
    EXPECT_EQ(UnkBytes{}.share(), 0.0) << "no bytes: no share";
}

TEST(UnkShare, OnlyTheWordTokenizerHasAnUnkId) {
    const Tokenizer word = Tokenizer::build_word("the cat sat on the mat\n");
    EXPECT_EQ(word.unk_id(), std::optional<TokenId>(Tokenizer::kUnk));
    std::size_t unknown = 0;
    std::vector<std::uint32_t> token_bytes;
    const std::vector<TokenId> ids = word.encode("the dog sat", "text", &unknown, &token_bytes);
    EXPECT_EQ(unknown, 1u);
    const UnkBytes u = count_unk_bytes(ids, token_bytes, *word.unk_id());
    EXPECT_EQ(u.unk_bytes, 3u) << "\"dog\" counts with its own length";
    EXPECT_FALSE(Tokenizer::build_char("abc").unk_id().has_value());
}

// ---------------------------------------------------------------- compare

RunRecord run_of(const std::string& name, const std::string& tokenizer, double bpc, std::optional<double> unk_share) {
    RunRecord r;
    r.name = name;
    r.config = {{"data.tokenizer", tokenizer}, {"data.path", "/data/corpus.txt"}, {"run.name", name}};
    r.numbers.best_val_loss = bpc;
    r.numbers.best_val_bpc = bpc;
    r.numbers.val_unk_share = unk_share;
    return r;
}

const TableRow* find_row(const ComparisonTable& t, const std::string& key) {
    for (const TableRow& r : t.rows)
        if (r.key == key) return &r;
    return nullptr;
}

TEST(UnkShareCompare, ARunWithUnkIsNotRankedAgainstRunsWithout) {
    const std::vector<RunRecord> runs = {run_of("char", "char", 2.3, std::nullopt),
                                         run_of("word", "word", 1.9, 0.04),
                                         run_of("bpe", "bpe", 2.5, std::nullopt)};
    const ComparisonTable t = build_table(runs);
    ASSERT_NE(find_row(t, "best_val_bpc"), nullptr);
    EXPECT_EQ(find_row(t, "best_val_bpc")->best, (std::vector<bool>{true, false, false}))
        << "the word run's 1.9 is the lowest, but 4% of its bytes were <unk>";
    EXPECT_EQ(find_row(t, "best_val_bpc")->cells[1], "1.9000") << "shown, not hidden";
    const TableRow* share = find_row(t, "val_unk_share");
    ASSERT_NE(share, nullptr);
    EXPECT_EQ(share->cells, (std::vector<std::string>{"-", "4.00%", "-"}));
    EXPECT_EQ(share->best, (std::vector<bool>{false, false, false}));
    ASSERT_EQ(t.notes.size(), 1u);
    EXPECT_NE(t.notes[0].find("word (4.00%)"), std::string::npos) << t.notes[0];
    EXPECT_NE(t.notes[0].find("<unk>"), std::string::npos) << t.notes[0];
    EXPECT_NE(t.notes[0].find("docs/formats.md"), std::string::npos) << t.notes[0];

    const std::string text = render_text_table(t);
    EXPECT_NE(text.find("note: best val bpc does not rank word (4.00%)"), std::string::npos) << text;
    EXPECT_NE(text.find("2.3000 *"), std::string::npos) << text;
    EXPECT_EQ(text.find("1.9000 *"), std::string::npos) << text;

    const std::vector<NamedChart> charts;
    const std::string name = "unk", budget;
    const ReportContext report{name, budget, runs, t, charts};
    const Json results = parse_json(json_results(report), "results.json");
    ASSERT_EQ(results.at("notes").size(), 1u);
    EXPECT_EQ(results.at("notes")[0].get<std::string>(), t.notes[0]);
    EXPECT_EQ(results.at("best").at("best_val_bpc"), Json::array({"char"}));
    EXPECT_EQ(results.at("runs")[1].at("results").at("val_unk_share"), 0.04);
    EXPECT_NE(markdown_report(report).find("Note: best val bpc does not rank"), std::string::npos);
    EXPECT_NE(html_report(report).find("best val bpc does not rank"), std::string::npos);
}

TEST(UnkShareCompare, RunsWithTheSameTokensStillRank) {
    // The same tokenizer, corpus and vocabulary settings: the same text falls into <unk>.
    std::vector<RunRecord> runs = {run_of("a", "word", 2.0, 0.04), run_of("b", "word", 1.9, 0.04)};
    ComparisonTable t = build_table(runs);
    EXPECT_EQ(find_row(t, "best_val_bpc")->best, (std::vector<bool>{false, true}));
    EXPECT_TRUE(t.notes.empty());
    ASSERT_NE(find_row(t, "val_unk_share"), nullptr) << "still shown";

    // A word run none of whose validation bytes fell into <unk> ranks with everyone.
    runs = {run_of("char", "char", 2.3, std::nullopt), run_of("word", "word", 1.9, 0.0)};
    t = build_table(runs);
    EXPECT_EQ(find_row(t, "best_val_bpc")->best, (std::vector<bool>{false, true}));
    EXPECT_EQ(find_row(t, "val_unk_share"), nullptr) << "no share above 0: no row";
    EXPECT_TRUE(t.notes.empty());

    // Two word runs on different corpora both with <unk>: neither ranks.
    runs = {run_of("x", "word", 2.0, 0.01), run_of("y", "word", 1.9, 0.2)};
    runs[1].config["data.path"] = "/data/other.txt";
    t = build_table(runs);
    EXPECT_EQ(find_row(t, "best_val_bpc")->best, (std::vector<bool>{false, false}));
    ASSERT_EQ(t.notes.size(), 1u);
    EXPECT_NE(t.notes[0].find("x (1.00%), y (20.00%)"), std::string::npos) << t.notes[0];
}

// ---------------------------------------------------------------- end to end

Json json_of(const std::string& text, const std::string& where) { return parse_json(text, where); }

std::vector<Json> evaluation_rows(const std::string& metrics_path) {
    std::vector<Json> rows;
    std::istringstream in(test::read_text(metrics_path));
    std::string line;
    while (std::getline(in, line))
        if (Json row = json_of(line, metrics_path); row.contains("val_loss")) rows.push_back(std::move(row));
    return rows;
}

TEST(UnkShareRun, WordRunsReportTheShareCharRunsDoNot) {
    const test::TempDir dir;
    test::write_corpus_slice(dir.path(), 20000);
    const auto config = [&](const std::string& name, const std::string& tokenizer) {
        return dir.write(name + ".yaml", "run: {name: " + name + ", dir: " + dir.path().string() +
                                             ", seed: 3}\n"
                                             "data: {path: corpus.txt, tokenizer: " + tokenizer +
                                             ", val_fraction: 0.2}\n" +
                                             test::kTinyModelYaml +
                                             "train: {max_steps: 2, batch_chunks: 2, eval_every: 1, "
                                             "eval_tokens: 512, log_every: 1, threads: 1}\n"
                                             "generate: {tokens: 4}\n");
    };
    const test::CommandResult word = test::run_lrnn_args({"train", config("word", "word")});
    ASSERT_EQ(word.exit_code, 0) << word.err;
    const std::vector<Json> rows = evaluation_rows(dir.file("word/metrics.jsonl"));
    ASSERT_GE(rows.size(), 2u);
    const double share = rows[0].at("val_unk_share").get<double>();
    EXPECT_GT(share, 0.0) << "words of the validation part the training part never had";
    EXPECT_LT(share, 0.5);
    for (const Json& row : rows) EXPECT_EQ(row.at("val_unk_share").get<double>(), share) << "the same tokens each time";
    const Json summary = json_of(test::read_text(dir.file("word/summary.json")), "summary.json");
    EXPECT_EQ(summary.at("val_unk_share").get<double>(), share);

    // lrnn eval on a text of known and unknown words: the same definition.
    const std::string text = dir.write("eval.txt", "You are all resolved zzyzx qqqqq to die\nYou are\n");
    const test::CommandResult eval =
        test::run_lrnn_args({"eval", dir.file("word/checkpoints/best.ckpt"), "--text", text, "--json"});
    ASSERT_EQ(eval.exit_code, 0) << eval.err;
    const Json result = json_of(eval.out, "eval");
    // Predicted tokens: everything after "You"; <unk> bytes: "zzyzx" and "qqqqq".
    EXPECT_NEAR(result.at("unk_share").get<double>(), 10.0 / result.at("bytes").get<double>(), 1e-12) << eval.out;
    const test::CommandResult sentence =
        test::run_lrnn_args({"eval", dir.file("word/checkpoints/best.ckpt"), "--text", text});
    ASSERT_EQ(sentence.exit_code, 0) << sentence.err;
    EXPECT_NE(sentence.out.find("% of the bytes in <unk>"), std::string::npos) << sentence.out;

    const test::CommandResult chars = test::run_lrnn_args({"train", config("char", "char")});
    ASSERT_EQ(chars.exit_code, 0) << chars.err;
    for (const Json& row : evaluation_rows(dir.file("char/metrics.jsonl")))
        EXPECT_FALSE(row.contains("val_unk_share")) << "char has no <unk>";
    EXPECT_FALSE(json_of(test::read_text(dir.file("char/summary.json")), "summary.json").contains("val_unk_share"));
}

}  // namespace
}  // namespace lrnn
