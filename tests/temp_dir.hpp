#pragma once
// Files in tests: a fresh folder per test under the system's temporary folder, removed with
// everything in it when the TempDir goes, and reading or writing a whole file.
//
// TempDir's name holds the test's name, the process id and a counter, so
// tests running at the same time (ctest -j, several TempDirs in one test) never share one.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

namespace lrnn::test {

// The whole content of the file at `path` ("" if it cannot be read).
inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Replaces the file at `path` with `text`; a test failure if that does not work.
inline void write_text(const std::filesystem::path& path, const std::string& text) {
    // Remove, then create: truncating a file in place makes ext4 flush it at close
    // (auto_da_alloc), which costs milliseconds per file.
    std::error_code ec;
    std::filesystem::remove(path, ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good()) << path.string();
}

class TempDir {
public:
    // `tag` names the folder in place of the current test's name.
    explicit TempDir(const std::string& tag = "") {
        static std::atomic<int> counter{0};
        std::string name = tag;
        if (name.empty()) {
            const auto* info = testing::UnitTest::GetInstance()->current_test_info();
            name = info ? std::string(info->test_suite_name()) + "." + info->name() : "none";
        }
        std::replace(name.begin(), name.end(), '/', '_');  // parameterised tests: "Suite/Case.Name/0"
        path_ = std::filesystem::temp_directory_path() /
                ("lrnn-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;  // a test that made a file read-only must not end in an exception
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // The path of `name` inside the folder.
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    // Writes `text` to the file `name` inside the folder and returns its path.
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path_ / name, std::ios::binary) << text;
        return file(name);
    }

private:
    std::filesystem::path path_;
};

}  // namespace lrnn::test
