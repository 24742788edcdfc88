"""The Gradio Blocks of the web app: tabs, widgets and the events wiring them to the
handlers (:class:`app.handlers.PolicyWeb`). No logic lives here.

Tabs: 问答 (answers with citation cards), 部门职责, 目标指标, 检索评测, 文档管理.
Named API endpoints for ``gradio_client``: ``/ask`` (``Answer.to_dict()`` JSON, or the
error object), ``/search``, ``/department``, ``/targets``, ``/evaluate``,
``/upload_document``, ``/remove_document``.
"""

from __future__ import annotations

import gradio as gr

from app.handlers import ALL, MODE_LABELS, PolicyWeb
from corpus.config import MODES
from corpus.formats import SUPPORTED_SUFFIXES
from corpus.tagging import domain_lexicon

EXAMPLES = {
    "企业 · 经营主体": ["我们是员工制养老企业，招了高校毕业生，能拿什么补贴？", "小微企业贷款有什么支持？"],
    "基层工作人员": ["谁牵头推动社区基础服务设施达标？", "卫健委负责哪些任务？"],
    "评估人员 · 市民": ["到2025年每千人口托位数要达到多少？", "三(五)1讲的是什么？"],
}

THEME = gr.themes.Soft(
    primary_hue="red", secondary_hue="slate", neutral_hue="slate",
    font=["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei",
          "Source Han Sans SC", "ui-sans-serif", "system-ui", "sans-serif"],
)  # fmt: skip

def build_blocks(web: PolicyWeb) -> gr.Blocks:
    """The Gradio Blocks over ``web``'s handlers; ``demo.policyqa`` is ``web``."""
    settings = web.core.settings
    suffixes = list(SUPPORTED_SUFFIXES)
    domains = list(domain_lexicon())

    with gr.Blocks(title="政策问答助手", analytics_enabled=False, delete_cache=(3600, 24 * 3600)) as demo:
        gr.Markdown(
            "# 政策问答助手\n"
            "根据已收录的政策文件原文作答：每一句答案都标注出处条款并可展开核对原文；"
            "找不到依据时如实说明。",
            elem_classes="pq-header",
        )
        with gr.Accordion("管理员登录（上传、删除、评测需要）", open=False, visible=web.login_required), gr.Row():
            admin_user = gr.Textbox(label="管理员用户名", scale=1, elem_id="pq-admin-user")
            admin_password = gr.Textbox(label="密码", type="password", scale=1, elem_id="pq-admin-password")
        with gr.Tabs():
            # ---------------------------------------------------- 1 问答
            with gr.Tab("问答", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        question = gr.Textbox(label="您的问题", lines=2, max_lines=6,
                                              placeholder="例如：谁牵头推动社区基础服务设施达标？",
                                              elem_id="pq-question", autofocus=True)
                        with gr.Row():
                            ask_btn = gr.Button("提问", variant="primary", elem_id="pq-ask", scale=1)
                            clear_btn = gr.ClearButton(value="清空", scale=0, min_width=90)
                        with gr.Accordion("按文件、部门、领域筛选", open=False), gr.Row():
                            doc_filter = gr.Dropdown(web.doc_choices(), value=ALL, label="文件",
                                                     allow_custom_value=True)  # uploads: checked by ask()
                            dept_filter = gr.Dropdown([("全部部门", ALL)] + web.department_names(),
                                                      value=ALL, label="部门（可输入简称）",
                                                      allow_custom_value=True)
                            role_filter = gr.Dropdown([("牵头或协同", "any"), ("牵头", "lead"), ("协同负责", "co")],
                                                      value="any", label="部门角色",
                                                      allow_custom_value=True)  # checked by the core
                            domain_filter = gr.Dropdown([("全部领域", ALL)] + domains, value=ALL,
                                                        label="领域", allow_custom_value=True)
                            section_filter = gr.Textbox(label="条款范围（如 三(二)）", value=ALL,
                                                        max_lines=1)
                    with gr.Column(scale=2, min_width=280):
                        for group, questions in EXAMPLES.items():
                            gr.Examples(examples=[[q] for q in questions], inputs=[question],
                                        label=group, examples_per_page=4)
                answer_html = gr.HTML('<div class="pq-hint">在上方输入问题并点击“提问”，或点击右侧的示例问题。'
                                      '答案中的〔n〕对应下方的引用条款。</div>', elem_id="pq-answer",
                                      padding=True, container=True)
                with gr.Accordion("答案 JSON（接口 /ask 的返回）", open=False):
                    answer_json = gr.JSON(label="answer", elem_id="pq-answer-json")
                clear_btn.add([question, answer_json, answer_html])

                gr.on(
                    triggers=[ask_btn.click, question.submit], fn=web.ask,
                    inputs=[question, doc_filter, dept_filter, domain_filter, role_filter, section_filter],
                    outputs=answer_json,
                    api_name="ask", concurrency_limit=4,
                    api_description="回答一个问题：返回 Answer.to_dict() 的 JSON（出错时为 {error: {code, message, fix}}）。",
                ).then(web.render, inputs=[answer_json, question], outputs=answer_html,
                       api_visibility="private", show_progress="hidden")

            # ---------------------------------------------------- 2 部门职责
            with gr.Tab("部门职责", id="department"):
                with gr.Row():
                    dept_pick = gr.Dropdown(web.department_names(), value=None, allow_custom_value=True,
                                            label="部门（从列表选择，或输入简称如 卫健委、人社部门）",
                                            elem_id="pq-dept", scale=3)
                    dept_btn = gr.Button("查看职责", variant="primary", scale=1, elem_id="pq-dept-go")
                dept_summary = gr.Markdown("选择一个部门，查看它牵头、协同负责和具体落实的条款。")
                dept_table = gr.Dataframe(headers=["角色", "条款", "标题", "文件", "责任分工原文"],
                                          interactive=False, wrap=True, elem_id="pq-dept-table",
                                          column_widths=["9%", "9%", "22%", "22%", "38%"])
                dept_csv = gr.File(label="下载 CSV（UTF-8，Excel 可直接打开）", interactive=False,
                                   elem_id="pq-dept-csv")
                gr.on(triggers=[dept_btn.click, dept_pick.select], fn=web.department, inputs=dept_pick,
                      outputs=[dept_summary, dept_table, dept_csv], api_name="department")

            # ---------------------------------------------------- 政策匹配
            with gr.Tab("政策匹配", id="match"):
                gr.Markdown("勾选企业的行业、类型和情形，列出适用的全部支持措施（含条件和出处条款）。"
                            "不勾选则列出全部措施。")
                choices = web.match_choices()
                with gr.Row(equal_height=False):
                    match_sectors = gr.CheckboxGroup(choices["sectors"], label="行业", elem_id="pq-match-sectors")
                    match_entities = gr.CheckboxGroup(choices["entities"], label="主体类型",
                                                      elem_id="pq-match-entities")
                match_traits = gr.CheckboxGroup(choices["traits"], label="情形", elem_id="pq-match-traits")
                match_btn = gr.Button("匹配政策", variant="primary", elem_id="pq-match-go")
                match_html = gr.HTML(elem_id="pq-match-result", padding=True)
                match_files = gr.File(label="下载（CSV 可用 Excel 打开；HTML 打印版一页）", file_count="multiple",
                                      interactive=False, elem_id="pq-match-files")
                match_btn.click(web.match, inputs=[match_sectors, match_entities, match_traits],
                                outputs=[match_html, match_files], api_name="match")

            # ---------------------------------------------------- 3 目标指标
            with gr.Tab("目标指标", id="targets"):
                target_doc = gr.Dropdown(web.doc_choices(), value=ALL, label="文件", elem_id="pq-target-doc",
                                         allow_custom_value=True)  # uploads: an unknown id gives no rows
                target_table = gr.Dataframe(web.targets(ALL), interactive=False, wrap=True,
                                            elem_id="pq-target-table", show_search="filter",
                                            label="文件中的量化目标", max_height=640,
                                            column_widths=["27%", "7%", "7%", "8%", "11%", "8%", "32%"])
                target_doc.change(web.targets, inputs=target_doc, outputs=target_table, api_name="targets")

            # ---------------------------------------------------- 4 检索评测
            with gr.Tab("检索评测", id="eval"):
                with gr.Row():
                    search_query = gr.Textbox(label="检索词", placeholder="例如：托育服务设施", scale=4,
                                              elem_id="pq-search-query")
                    search_k = gr.Number(value=10, label="返回条数", precision=0, minimum=1, maximum=50,
                                         scale=1, min_width=100)
                    search_btn = gr.Button("对比三种检索", variant="primary", scale=1, elem_id="pq-search-go")
                with gr.Row(equal_height=False):
                    rankings = []
                    for mode in MODES:
                        with gr.Column(min_width=260):
                            rankings.append(gr.Dataframe(headers=["名次", "条款", "标题", "得分"],
                                                         label=f"{MODE_LABELS[mode]}（{mode}）",
                                                         interactive=False, wrap=True,
                                                         elem_id=f"pq-rank-{mode}",
                                                         column_widths=["14%", "22%", "44%", "20%"]))
                gr.on(triggers=[search_btn.click, search_query.submit], fn=web.search,
                      inputs=[search_query, search_k, doc_filter, dept_filter, domain_filter, role_filter,
                              section_filter], outputs=rankings, api_name="search")
                gr.Markdown("### 批量评测\n上传评测格式的问题文件（JSON Lines：`id`、`question`、`type`、"
                            "`gold` …），计算各检索模式的指标。")
                with gr.Row():
                    eval_file = gr.File(label="问题文件（.jsonl）", file_types=[".jsonl"], scale=2,
                                        elem_id="pq-eval-file")
                    with gr.Column(scale=1):
                        eval_modes = gr.CheckboxGroup([(MODE_LABELS[m], m) for m in MODE_LABELS],
                                                      value=list(MODE_LABELS), label="检索模式")
                        eval_btn = gr.Button("运行评测", variant="primary", elem_id="pq-eval-go")
                eval_summary = gr.Markdown(elem_id="pq-eval-summary")
                eval_table = gr.Dataframe(headers=["模式"], interactive=False, label="指标",
                                          elem_id="pq-eval-table", visible=False)
                with gr.Row(equal_height=False):
                    eval_plot = gr.Image(label="Recall@k", visible=False, scale=3, type="filepath")
                    eval_files = gr.File(label="评测报告文件", file_count="multiple", interactive=False,
                                         visible=False, scale=2)

                def run_eval(file, modes, user, password, request: gr.Request, progress=gr.Progress()):  # noqa: B008
                    summary, table, plot, files = web.evaluate(file, modes, user, password, progress, request)
                    shown = not table.empty
                    return (summary, gr.Dataframe(value=table, visible=shown),
                            gr.Image(value=plot, visible=plot is not None),
                            gr.File(value=files, visible=bool(files)))

                eval_btn.click(run_eval, inputs=[eval_file, eval_modes, admin_user, admin_password],
                               outputs=[eval_summary, eval_table, eval_plot, eval_files],
                               api_name="evaluate", concurrency_limit=1)

            # ---------------------------------------------------- 5 文档管理
            with gr.Tab("文档管理", id="docs"):
                docs_table = gr.Dataframe(web.documents_table(), interactive=False, wrap=True,
                                          label="已收录的文件", elem_id="pq-docs-table",
                                          column_widths=["10%", "28%", "50%", "12%"])
                with gr.Row(equal_height=False):
                    with gr.Column():
                        upload_file = gr.File(label=f"上传文件（{'、'.join(suffixes)}，不超过 "
                                                    f"{settings.max_upload_mb} MB）",
                                              file_types=suffixes, elem_id="pq-upload")
                        replace_box = gr.Checkbox(label="同名文件已存在时替换它（旧版本保留到重建成功）", value=False,
                                                  elem_id="pq-upload-replace")
                        upload_btn = gr.Button("添加并重建索引", variant="primary", elem_id="pq-upload-go")
                    with gr.Column():
                        remove_pick = gr.Dropdown(web.removable_choices(), value=None,
                                                  allow_custom_value=True,  # checked by the handler
                                                  label="删除上传的文件（内置文件不能删除）",
                                                  info="只列出通过本页或 `policyqa corpus add` 添加的文件",
                                                  elem_id="pq-remove")
                        remove_btn = gr.Button("删除并重建索引", variant="stop", elem_id="pq-remove-go")
                        cancel_btn = gr.Button("取消正在进行的重建", variant="secondary", elem_id="pq-cancel",
                                               size="sm")
                manage_status = gr.HTML(elem_id="pq-manage-status")

                def refresh():
                    return (web.documents_table(), gr.Dropdown(choices=web.doc_choices()),
                            gr.Dropdown(choices=web.doc_choices()), web.targets(ALL),
                            gr.Dropdown(choices=web.removable_choices(), value=None))

                refreshed = [docs_table, doc_filter, target_doc, target_table, remove_pick]

                def do_upload(file, user, password, replace, request: gr.Request,
                              progress=gr.Progress()):  # noqa: B008
                    return web.upload(file, user, password, progress, replace, request)

                def do_remove(doc_id, user, password, request: gr.Request, progress=gr.Progress()):  # noqa: B008
                    return web.remove(doc_id, user, password, progress, request)

                upload_btn.click(do_upload, inputs=[upload_file, admin_user, admin_password, replace_box],
                                 outputs=manage_status, api_name="upload_document",
                                 concurrency_id="manage", concurrency_limit=1,
                                 ).then(refresh, outputs=refreshed, api_visibility="private")
                remove_btn.click(do_remove, inputs=[remove_pick, admin_user, admin_password],
                                 outputs=manage_status, api_name="remove_document",
                                 concurrency_id="manage", concurrency_limit=1,
                                 ).then(refresh, outputs=refreshed, api_visibility="private")
                def do_cancel(user, password, request: gr.Request):
                    return web.cancel(user, password, request)

                # Not in the "manage" queue: it must run while a rebuild holds that slot.
                cancel_btn.click(do_cancel, inputs=[admin_user, admin_password], outputs=manage_status,
                                 api_name="cancel_rebuild", concurrency_limit=1)
        demo.load(refresh, outputs=refreshed, api_visibility="private", show_progress="hidden")
    demo.policyqa = web  # type: ignore[attr-defined]
    return demo

