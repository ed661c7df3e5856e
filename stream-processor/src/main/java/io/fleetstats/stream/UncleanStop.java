package io.fleetstats.stream;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the previous run left in the state directory. Under exactly-once Kafka Streams deletes a
 * task's {@code .checkpoint} while the task runs and writes it on a clean close; a task directory
 * with store data but no checkpoint means the process was killed (SIGKILL, OOM kill, power loss).
 * Kafka Streams then cannot trust the local store (it may hold uncommitted writes), wipes it and
 * rebuilds it from the changelog: the recovery, not an error. {@link #scan} finds those tasks
 * before Kafka Streams starts, so the start can say so in one line.
 *
 * @param tasks the task ids (e.g. {@code 1_0}) whose local state will be rebuilt, sorted
 * @param stores the stores in them (e.g. {@code fleetstats-window-store}), sorted
 */
record UncleanStop(List<String> tasks, List<String> stores) {
  private static final Pattern TASK_DIR = Pattern.compile("\\d+_\\d+");

  UncleanStop {
    tasks = List.copyOf(tasks);
    stores = List.copyOf(stores);
  }

  boolean found() {
    return !tasks.isEmpty();
  }

  /**
   * The tasks under {@code stateDir/applicationId} with a non-empty store and no checkpoint; none
   * when the directory does not exist (a first start) or cannot be read.
   */
  static UncleanStop scan(Path stateDir, String applicationId) {
    Path appDir = stateDir.resolve(applicationId);
    TreeSet<String> tasks = new TreeSet<>(UncleanStop::compareTaskIds);
    TreeSet<String> stores = new TreeSet<>();
    if (!Files.isDirectory(appDir)) {
      return new UncleanStop(List.of(), List.of());
    }
    try (Stream<Path> dirs = Files.list(appDir)) {
      for (Path task : dirs.toList()) {
        String name = task.getFileName().toString();
        if (!TASK_DIR.matcher(name).matches() || Files.exists(task.resolve(".checkpoint"))) {
          continue;
        }
        List<String> withData = storesWithData(task.resolve("rocksdb"));
        if (!withData.isEmpty()) {
          tasks.add(name);
          stores.addAll(withData);
        }
      }
    } catch (IOException e) {
      return new UncleanStop(List.of(), List.of());
    }
    return new UncleanStop(new ArrayList<>(tasks), new ArrayList<>(stores));
  }

  /** The one-line account of the recovery. */
  String describe() {
    return "the previous run did not stop cleanly (killed?): "
        + tasks.size()
        + " task(s) "
        + tasks
        + " kept local state in "
        + stores
        + " without a checkpoint; under exactly-once that state is wiped and rebuilt from the"
        + " changelogs (nothing committed is lost, uncommitted output was aborted and is redone)";
  }

  private static List<String> storesWithData(Path rocksdb) throws IOException {
    if (!Files.isDirectory(rocksdb)) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    try (Stream<Path> stores = Files.list(rocksdb)) {
      for (Path store : stores.toList()) {
        if (Files.isDirectory(store) && hasFiles(store)) {
          out.add(store.getFileName().toString());
        }
      }
    }
    return out;
  }

  private static boolean hasFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.anyMatch(Files::isRegularFile);
    }
  }

  private static int compareTaskIds(String a, String b) {
    String[] x = a.split("_");
    String[] y = b.split("_");
    int c = Integer.compare(Integer.parseInt(x[0]), Integer.parseInt(y[0]));
    return c != 0 ? c : Integer.compare(Integer.parseInt(x[1]), Integer.parseInt(y[1]));
  }
}
