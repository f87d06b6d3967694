// The smart board: a websocket to /ws/boards/<class id>/ that shows each change as it happens.
// Every message is {"type", "data"}; the first after connecting is the board's whole state, so
// after a dropped connection the board reconnects by itself and redraws from that state.
(function () {
  "use strict";
  var body = document.body;
  var status = document.getElementById("board-status");
  var homeworkList = document.getElementById("homework-list");
  var retryDelay = 1000;

  function setLive(live) {
    status.textContent = live ? status.dataset.live : status.dataset.offline;
    status.className = "status " + (live ? "live" : "offline");
    body.dataset.connected = live ? "yes" : "no";
  }

  function formatDue(text) {
    var due = new Date(text);
    if (isNaN(due)) return text || "";
    return due.toLocaleString(document.documentElement.lang, {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"
    });
  }

  function homeworkItem(item) {
    var li = document.createElement("li");
    li.dataset.homework = item.id || item.homework_id;
    var title = document.createElement("span");
    title.className = "title";
    title.textContent = item.title;
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = " " + (item.subject || "") + " · " + homeworkList.dataset.due + " " + formatDue(item.due_at);
    li.append(title, meta);
    return li;
  }

  function showEmpty() {
    if (!homeworkList.querySelector("li[data-homework]") && !homeworkList.querySelector(".empty")) {
      var li = document.createElement("li");
      li.className = "empty";
      li.textContent = homeworkList.dataset.empty;
      homeworkList.append(li);
    }
  }

  function addHomework(item) {
    var id = item.id || item.homework_id;
    if (homeworkList.querySelector('li[data-homework="' + id + '"]')) return;
    var empty = homeworkList.querySelector(".empty");
    if (empty) empty.remove();
    var li = homeworkItem(item);
    li.classList.add("new");
    homeworkList.prepend(li);
  }

  function drawState(state) {
    var sections = state.sections || {};
    if (Array.isArray(sections.homework_today)) {
      homeworkList.replaceChildren();
      sections.homework_today.forEach(function (item) { homeworkList.append(homeworkItem(item)); });
      showEmpty();
    }
    if (Array.isArray(sections.announcements)) {
      var list = document.getElementById("announcement-list");
      list.replaceChildren();
      sections.announcements.forEach(addAnnouncement);
    }
    if (sections.attendance_today) drawAttendance(sections.attendance_today);
  }

  function addAnnouncement(item) {
    var list = document.getElementById("announcement-list");
    var li = document.createElement("li");
    li.textContent = item.text;
    list.prepend(li);
    document.getElementById("announcements").hidden = false;
  }

  function drawAttendance(data) {
    var counts = data.counts || {};
    var text = document.getElementById("attendance-text");
    text.textContent = (counts.present || 0) + " " + text.dataset.present + " · " +
      (counts.absent || 0) + " " + text.dataset.absent;
    document.getElementById("attendance").hidden = false;
  }

  var handlers = {
    "board.state": drawState,
    "homework.assigned": addHomework,
    "boards.announcement": addAnnouncement,
    "attendance.register_taken": drawAttendance,
    "attendance.mark_changed": drawAttendance,
    "boards.show": function (data) {
      document.getElementById("showing-text").textContent = data.summary || "";
      document.getElementById("showing").hidden = false;
    }
  };

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + body.dataset.socket);
    socket.onopen = function () { retryDelay = 1000; setLive(true); };
    socket.onmessage = function (message) {
      var parsed;
      try { parsed = JSON.parse(message.data); } catch (error) { return; }
      var handle = handlers[parsed.type];
      if (handle) handle(parsed.data || {});
    };
    socket.onclose = function () {
      setLive(false);
      // Back off up to half a minute, with jitter, so a room of boards does not reconnect at once.
      setTimeout(connect, retryDelay + Math.random() * 500);
      retryDelay = Math.min(retryDelay * 2, 30000);
    };
  }
  connect();
})();
