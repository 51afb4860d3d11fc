-- A long-lived pandoc process (`pandoc lua pandoc-worker.lua`) that converts many documents.
--
-- Starting pandoc costs more than converting a page, and citeproc parses its style,
-- locale and bibliography anew in every process: one worker per build thread keeps
-- a brief at ~30 ms of pandoc instead of ~130 ms.
--
-- Request: one JSON line {text, from, to, template, toc, toc_depth, section_divs, wrap,
--   metadata, bibliography, csl, filters, reference_doc, cwd, source_date_epoch}; all but text
--   and to are optional. cwd: the folder relative image paths are read from (so no absolute path
--   reaches a DOCX); source_date_epoch: the time a DOCX records as its creation (reproducible bytes).
-- Response: "OK <n>\n" or "ERR <n>\n", then n bytes (the output, or the error message).

local templates, filters = {}, {}

local function template(path)
  if not templates[path] then
    local file = assert(io.open(path, "r"))
    templates[path] = pandoc.template.compile(file:read("a"), path)
    file:close()
  end
  return templates[path]
end

local function filter_list(path)
  if not filters[path] then
    filters[path] = dofile(path)
  end
  return filters[path]
end

local function missing_citations(doc)
  local known, missing, seen = {}, {}, {}
  for _, ref in ipairs(pandoc.utils.references(doc)) do
    known[ref.id] = true
  end
  doc:walk({
    Cite = function(cite)
      for _, citation in ipairs(cite.citations) do
        if not known[citation.id] and not seen[citation.id] then
          seen[citation.id] = true
          missing[#missing + 1] = citation.id
        end
      end
    end,
  })
  table.sort(missing)
  return missing
end

local function convert(req)
  local doc = pandoc.read(req.text, req.from or "markdown")
  for key, value in pairs(req.metadata or {}) do
    doc.meta[key] = value
  end
  if req.bibliography then
    doc.meta.bibliography = req.bibliography
    if req.csl then
      doc.meta.csl = req.csl
    end
    local missing = missing_citations(doc)
    if #missing > 0 then
      error("unknown citation key(s) " .. table.concat(missing, ", ")
        .. ": add them to the bibliography (content/references.bib) or fix the key after '@'", 0)
    end
    doc = pandoc.utils.citeproc(doc)
    -- the worker's own settings, not the document's: a DOCX would keep these paths in its properties
    doc.meta.bibliography, doc.meta.csl = nil, nil
  end
  for _, path in ipairs(req.filters or {}) do
    for _, filter in ipairs(filter_list(path)) do
      doc = doc:walk(filter)
    end
  end
  local options = {}
  if req.template then
    options.template = template(req.template)
  end
  if req.toc then
    options.table_of_contents = true
    options.toc_depth = req.toc_depth or 3
  end
  if req.section_divs then
    options.section_divs = true
  end
  if req.wrap then
    options.wrap_text = "wrap-" .. req.wrap
  end
  if req.reference_doc then
    options.reference_doc = req.reference_doc
  end
  local function write()
    return pandoc.write(doc, req.to, options)
  end
  if req.source_date_epoch then
    local env = pandoc.system.environment()
    env.SOURCE_DATE_EPOCH = tostring(req.source_date_epoch)
    local inner = write
    write = function() return pandoc.system.with_environment(env, inner) end
  end
  if req.cwd then
    local inner = write
    write = function() return pandoc.system.with_working_directory(req.cwd, inner) end
  end
  return write()
end

while true do
  local line = io.stdin:read("l")
  if not line then
    break
  end
  local ok, result = pcall(function()
    return convert(pandoc.json.decode(line))
  end)
  result = ok and result or tostring(result)
  io.stdout:write(ok and "OK " or "ERR ", #result, "\n", result)
  io.stdout:flush()
  -- A document is a small userdata to Lua but megabytes of Haskell heap behind it: Lua's collector counts
  -- only its own bytes, so it seldom runs and answered documents stay alive. One full cycle per request
  -- lets each go (bench/pandoc_worker.py: a build's requests replayed, peak 114 -> 92 MB).
  collectgarbage()
end
