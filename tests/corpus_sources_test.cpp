// The corpus files data.path and data.val_path name (docs/config.md, "Corpus files"): which
// files a directory, a glob or a list gives and in which order, how documents are joined, JSON
// Lines, and a clear error naming the path for each way a source can fail.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "error_of.hpp"
#include "io/corpus_sources.hpp"
#include "temp_dir.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

using test::error_of;

class CorpusSources : public ::testing::Test {
protected:
    // DIR/name with `text`, creating its folders.
    std::string put(const std::string& name, const std::string& text) {
        const fs::path p = dir_.path() / name;
        fs::create_directories(p.parent_path());
        test::write_text(p, text);
        return p.string();
    }
    std::string path(const std::string& name) const { return dir_.file(name); }

    std::vector<std::string> relative(const std::vector<std::string>& files) const {
        std::vector<std::string> out;
        for (const std::string& f : files) out.push_back(fs::path(f).lexically_relative(dir_.path()).generic_string());
        return out;
    }

    test::TempDir dir_;
};

TEST_F(CorpusSources, ADirectoryGivesItsRegularVisibleFilesSortedByteWise) {
    put("corpus/b.txt", "bee");
    put("corpus/a/z.txt", "zed");
    put("corpus/a/B.txt", "Bee");  // 'B' (0x42) sorts before 'z' (0x7a): bytes, not locale
    put("corpus/a b/c.txt", "space");  // ' ' (0x20) before '/' (0x2f): "a b/" before "a/"
    put("corpus/.hidden.txt", "hidden");
    put("corpus/.git/config", "hidden folder");
    put("corpus/sub/.also-hidden", "hidden");
    fs::create_directories(path("corpus/empty"));
    put("outside/target.txt", "linked");
    put("outside/deep/file.txt", "behind a linked folder");
    fs::create_symlink(path("outside/target.txt"), path("corpus/link.txt"));
    fs::create_symlink(path("outside/deep"), path("corpus/dirlink"));
    fs::create_symlink(path("outside/nothing.txt"), path("corpus/dangling.txt"));
    ASSERT_EQ(::mkfifo(path("corpus/pipe").c_str(), 0600), 0);

    const std::vector<std::string> files = expand_corpus_sources({path("corpus")}, "data.path");
    EXPECT_EQ(relative(files), (std::vector<std::string>{"corpus/a b/c.txt", "corpus/a/B.txt", "corpus/a/z.txt",
                                                         "corpus/b.txt", "corpus/link.txt"}));

    const CorpusText text = read_corpus_sources({path("corpus")}, "data.path", "text");
    EXPECT_EQ(text.text, "space\n\nBee\n\nzed\n\nbee\n\nlinked");
    EXPECT_EQ(text.files, files);
    EXPECT_EQ(text.name, path("corpus") + " (5 files)");
}

TEST_F(CorpusSources, AGlobAndAListKeepTheirOrder) {
    put("t/2.txt", "two");
    put("t/10.txt", "ten");
    put("t/1.md", "one");
    put("t/sub/3.txt", "not one level");
    put("t/.h.txt", "glob(3) skips a leading dot unless the pattern has one");
    put("single.txt", "single");
    EXPECT_EQ(relative(expand_corpus_sources({path("t/*.txt")}, "data.path")),
              (std::vector<std::string>{"t/10.txt", "t/2.txt"}));
    EXPECT_EQ(relative(expand_corpus_sources({path("t/[12].*")}, "data.path")),
              (std::vector<std::string>{"t/1.md", "t/2.txt"}));
    EXPECT_EQ(relative(expand_corpus_sources({path("t/**.txt")}, "data.path")),
              (std::vector<std::string>{"t/10.txt", "t/2.txt"}))
        << "** is *: one path level";
    // A list: the entries in their order, each one's files sorted.
    const std::vector<std::string> entries = {path("single.txt"), path("t/?.txt"), path("t/sub")};
    EXPECT_EQ(relative(expand_corpus_sources(entries, "data.path")),
              (std::vector<std::string>{"single.txt", "t/2.txt", "t/sub/3.txt"}));
    const CorpusText text = read_corpus_sources(entries, "data.path", "text");
    EXPECT_EQ(text.text, "single\n\ntwo\n\nnot one level");
    EXPECT_EQ(text.name, path("single.txt") + " and 2 more (3 files)");
}

TEST_F(CorpusSources, OneFileIsReadByteForByte) {
    const std::string file = put("one.txt", "\n\nends with newlines\n\n");
    const CorpusText text = read_corpus_sources({file}, "data.path", "text");
    EXPECT_EQ(text.text, "\n\nends with newlines\n\n");
    EXPECT_EQ(text.name, file);
    // A hidden file named directly is taken: it was asked for.
    EXPECT_EQ(read_corpus_sources({put(".dotfile", "x")}, "data.path", "text").text, "x");
}

TEST_F(CorpusSources, EachFailureNamesThePath) {
    const auto error = [&](const std::vector<std::string>& entries, const std::string& key = "data.path") {
        return error_of([&] { read_corpus_sources(entries, key, "text"); });
    };
    const std::string missing = error({path("nowhere.txt")});
    EXPECT_NE(missing.find("data.path: " + path("nowhere.txt") + ": file not found"), std::string::npos) << missing;

    fs::create_directories(path("empty"));
    const std::string empty = error({path("empty")}, "data.val_path");
    EXPECT_NE(empty.find("data.val_path: " + path("empty") + ": the directory is empty"), std::string::npos) << empty;

    put("hidden-only/.a", "x");
    fs::create_directories(path("hidden-only/sub"));
    const std::string no_text = error({path("hidden-only")});
    EXPECT_NE(no_text.find(path("hidden-only") + ": the directory holds no text files"), std::string::npos) << no_text;

    put("g/a.txt", "a");
    const std::string no_match = error({path("g/*.md")});
    EXPECT_NE(no_match.find(path("g/*.md") + ": the glob matches no file"), std::string::npos) << no_match;

    ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
    const std::string fifo = error({path("fifo")});
    EXPECT_NE(fifo.find(path("fifo") + ": not a regular file"), std::string::npos) << fifo;

    put("zero/a.txt", "");
    put("zero/b.txt", "");
    const std::string all_empty = error({path("zero")});
    EXPECT_NE(all_empty.find(path("zero") + " (2 files): the corpus is empty"), std::string::npos) << all_empty;

    // Vanished between the listing and the reading.
    put("v/a.txt", "a");
    put("v/b.txt", "b");
    const std::vector<std::string> listed = expand_corpus_sources({path("v")}, "data.path");
    fs::remove(path("v/b.txt"));
    const std::string vanished = error_of([&] { read_corpus_files(listed, "v", "data.path", "text"); });
    EXPECT_NE(vanished.find("data.path: " + path("v/b.txt") + ": the file vanished between listing and reading it"),
              std::string::npos)
        << vanished;

    const std::string locked = put("locked.txt", "secret");
    fs::permissions(locked, fs::perms::none);
    if (::access(locked.c_str(), R_OK) != 0) {  // (root reads it anyway)
        const std::string unreadable = error({locked});
        EXPECT_NE(unreadable.find("data.path: " + locked + ": cannot read the file (Permission denied)"),
                  std::string::npos)
            << unreadable;
    }
}

TEST_F(CorpusSources, JsonLinesGiveOneDocumentPerRecord) {
    const std::string file = put("c.jsonl",
                                 "{\"text\": \"first doc\", \"id\": 1}\n"
                                 "\n"
                                 "   \n"
                                 "{\"id\": 2, \"text\": \"second\\nwith a newline\"}\n"
                                 "{\"text\": \"\"}\n"
                                 "{\"text\": \"no newline at the end\"}");
    put("z.txt", "plain after");
    CorpusText text = read_corpus_sources({file}, "data.path", "text");
    EXPECT_EQ(text.text, "first doc\n\nsecond\nwith a newline\n\nno newline at the end");
    text = read_corpus_sources({file, path("z.txt")}, "data.path", "text");
    EXPECT_EQ(text.text, "first doc\n\nsecond\nwith a newline\n\nno newline at the end\n\nplain after");

    const std::string other = put("other.jsonl", "{\"body\": \"b1\"}\n{\"body\": \"b2\"}\n");
    EXPECT_EQ(read_corpus_sources({other}, "data.path", "body").text, "b1\n\nb2");

    const auto error = [&](const std::string& content, const std::string& field = "text") {
        const std::string f = put("bad.jsonl", content);
        return error_of([&] { read_corpus_sources({f}, "data.path", field); });
    };
    const std::string where = "data.path: " + path("bad.jsonl");
    const std::string malformed = error("{\"text\": \"ok\"}\n\n{\"text\": oops}\n");
    EXPECT_NE(malformed.find(where + ":3: not valid JSON"), std::string::npos) << malformed;
    const std::string missing = error("{\"text\": \"ok\"}\n{\"title\": \"x\"}\n");
    EXPECT_NE(missing.find(where + ":2: the record has no \"text\" field"), std::string::npos) << missing;
    const std::string not_string = error("{\"text\": 42}\n");
    EXPECT_NE(not_string.find(where + ":1: \"text\" is number, expected a string"), std::string::npos) << not_string;
    const std::string not_object = error("[\"text\"]\n");
    EXPECT_NE(not_object.find(where + ":1: expected a JSON object"), std::string::npos) << not_object;
    const std::string wrong_field = error("{\"text\": \"x\"}\n", "content");
    EXPECT_NE(wrong_field.find(where + ":1: the record has no \"content\" field"), std::string::npos) << wrong_field;
}

}  // namespace
}  // namespace lrnn
